#pragma once

#include <QtCore/QProcessEnvironment>
#include <QtCore/QString>
#include <QtCore/QStringList>
#include <QtCore/QUrl>

namespace McpProxy {

// Opens a URL in the user's browser from a QCoreApplication (QDesktopServices needs a
// QGuiApplication, docs/qt-notes.md), never blocking and never letting the browser near
// our stdio: every child runs detached with stdin, stdout and stderr on the null device, because
// a browser writing to our stdout would corrupt the JSON-RPC stream.
//
// Every platform: the $BROWSER list first (commands separated like PATH: ":", on Windows ";";
// "%s" is replaced by the URL, else the URL is appended; "%%" is a literal "%"; words are split
// like a shell does, the URL is always one argument and never seen by a shell). Then Linux/BSD:
// wslview under WSL (WSL_DISTRO_NAME), then, only when DISPLAY or WAYLAND_DISPLAY is set,
// xdg-open. macOS: /usr/bin/open. Windows: ShellExecuteW. Programs are looked up in the PATH of
// `environment`, which is also the child's whole environment, passed unchanged.
class BrowserLauncher
{
public:
    // Only http and https URLs are opened. Returns whether a browser command was started (not
    // whether a browser showed the page: xdg-open and friends give no reliable answer). *how,
    // when given, says what was done or why nothing was (English, for the log).
    static bool open(const QUrl &url, const QProcessEnvironment &environment, QString *how);
    // Whether open() has a way to show a page here, without starting anything: a $BROWSER entry
    // whose program exists, or the platform's own way (Linux/BSD: wslview under WSL, xdg-open
    // with a display; macOS and Windows: always). False on a headless machine (SSH, container).
    static bool canOpen(const QProcessEnvironment &environment);

private:
    // The platform's own way, after $BROWSER (browserlauncher_<platform>.cpp).
    static bool canOpenNative(const QProcessEnvironment &environment);
    static bool openNative(
            const QUrl &url, const QProcessEnvironment &environment, QStringList *notes);
    // Starts `name` (looked up in the PATH of `environment`) detached from our stdio.
    static bool launch(const QString &name, const QStringList &arguments,
            const QProcessEnvironment &environment, const QString &source, QStringList *notes);
};

} // namespace McpProxy

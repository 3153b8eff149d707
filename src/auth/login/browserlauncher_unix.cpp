// BrowserLauncher on Linux, the BSDs and macOS after $BROWSER (docs/qt-notes.md, "Opening the
// browser").
#include "auth/login/browserlauncher.h"

#include <QtCore/QDir>
#include <QtCore/QStandardPaths>
#include <QtCore/QStringList>

using namespace Qt::StringLiterals;

namespace McpProxy {

bool BrowserLauncher::canOpenNative(const QProcessEnvironment &environment)
{
#if defined(Q_OS_MACOS)
    Q_UNUSED(environment);
    return true;
#else
    const QStringList paths =
            environment.value(u"PATH"_s).split(QDir::listSeparator(), Qt::SkipEmptyParts);
    if (!environment.value(u"WSL_DISTRO_NAME"_s).isEmpty()
            && !QStandardPaths::findExecutable(u"wslview"_s, paths).isEmpty()) {
        return true;
    }
    if (environment.value(u"DISPLAY"_s).isEmpty()
            && environment.value(u"WAYLAND_DISPLAY"_s).isEmpty()) {
        return false;
    }
    return !QStandardPaths::findExecutable(u"xdg-open"_s, paths).isEmpty();
#endif
}

bool BrowserLauncher::openNative(
        const QUrl &url, const QProcessEnvironment &environment, QStringList *notes)
{
    const QString target = url.toString(QUrl::FullyEncoded);
#if defined(Q_OS_MACOS)
    return launch(u"/usr/bin/open"_s, {target}, environment, QString(), notes);
#else
    // WSL: wslview (wslu) hands the URL to the Windows browser, no X/Wayland display needed.
    if (!environment.value(u"WSL_DISTRO_NAME"_s).isEmpty()
            && launch(u"wslview"_s, {target}, environment, QString(), notes)) {
        return true;
    }
    // Without a display (SSH, containers) xdg-open would fall back to a text-mode browser that
    // fights over the terminal, or fail: the user copies the URL printed on stderr instead.
    if (environment.value(u"DISPLAY"_s).isEmpty()
            && environment.value(u"WAYLAND_DISPLAY"_s).isEmpty()) {
        notes->append(u"no display (neither DISPLAY nor WAYLAND_DISPLAY is set)"_s);
        return false;
    }
    return launch(u"xdg-open"_s, {target}, environment, QString(), notes);
#endif
}

} // namespace McpProxy

// BrowserLauncher on Windows after $BROWSER: ShellExecuteW opens the URL with the default
// browser, without a console, a shell (cmd's "start" splits URLs at '&') or any of our handles
// (docs/qt-notes.md, "Opening the browser").
#include "auth/login/browserlauncher.h"

#include <QtCore/QStringList>

#include <objbase.h>
#include <qt_windows.h>
#include <shellapi.h>

using namespace Qt::StringLiterals;

namespace McpProxy {

bool BrowserLauncher::canOpenNative(const QProcessEnvironment &)
{
    return true; // ShellExecuteW: the user's default browser
}

bool BrowserLauncher::openNative(const QUrl &url, const QProcessEnvironment &, QStringList *notes)
{
    const QString target = url.toString(QUrl::FullyEncoded);
    // ShellExecute may delegate to shell extensions, which want COM (ShellExecuteW remarks).
    const HRESULT com = CoInitializeEx(nullptr, COINIT_APARTMENTTHREADED | COINIT_DISABLE_OLE1DDE);
    const HINSTANCE result = ShellExecuteW(nullptr, L"open",
            reinterpret_cast<LPCWSTR>(target.utf16()), nullptr, nullptr, SW_SHOWNORMAL);
    if (SUCCEEDED(com))
        CoUninitialize();
    const auto code = reinterpret_cast<quintptr>(result);
    if (code <= 32) {
        notes->append(u"ShellExecuteW failed (%1)"_s.arg(code));
        return false;
    }
    notes->append(u"opened with ShellExecuteW"_s);
    return true;
}

} // namespace McpProxy

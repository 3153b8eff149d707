#include "auth/login/browserlauncher.h"

using namespace Qt::StringLiterals;

namespace McpProxy {

bool BrowserLauncher::open(const QUrl &url, const QProcessEnvironment &environment, QString *how)
{
    QString ignored;
    QString *out = how ? how : &ignored;
    // Anything else could start an arbitrary handler (file:, custom schemes) on the user's desktop.
    const QString scheme = url.scheme().toLower();
    if (!url.isValid() || (scheme != "http"_L1 && scheme != "https"_L1)) {
        *out = u"not an http(s) URL, not opened"_s;
        return false;
    }
    return openNative(url, environment, out);
}

} // namespace McpProxy

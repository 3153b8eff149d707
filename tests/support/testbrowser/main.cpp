// mcp-test-browser: a stand-in for the user's browser that runs on every platform (a Windows
// build cannot start the shell scripts the Linux tests use). The tests and the Windows demo set
// it as $BROWSER.
//   mcp-test-browser [--append FILE] [--approve [--report FILE]] URL...
// First it writes noise on its stdout and stderr (a launcher must never let a browser reach the
// proxy's stdio). With FAKE_BROWSER_RECORD set, it writes its own name (without suffix) and its
// arguments, one per line, into that file (renamed into place: a reader never sees half of it).
// --append adds the URL (the last argument) as one line to FILE. --approve plays the user of the
// demo authorization server: opens the consent page, "clicks" Approve and follows the redirect to
// the proxy's loopback callback; what it sees goes to the --report file.
#include <QtCore/QCoreApplication>
#include <QtCore/QEventLoop>
#include <QtCore/QFile>
#include <QtCore/QFileInfo>
#include <QtCore/QRegularExpression>
#include <QtCore/QSaveFile>
#include <QtNetwork/QNetworkAccessManager>
#include <QtNetwork/QNetworkReply>

#include <cstdio>

using namespace Qt::StringLiterals;

namespace {

bool appendLine(const QString &path, const QByteArray &line)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Append) && file.write(line + '\n') > 0;
}

bool writeRecord(const QString &path, const QStringList &arguments)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    file.write(
            QFileInfo(QCoreApplication::applicationFilePath()).completeBaseName().toUtf8() + '\n');
    for (const QString &argument : arguments)
        file.write(argument.toUtf8() + '\n');
    return file.commit();
}

// GET with redirects followed; the body, or an empty array on any error.
QByteArray get(QNetworkAccessManager &nam, const QUrl &url, QUrl *landedOn, int *status)
{
    QNetworkRequest request(url);
    request.setTransferTimeout(10000);
    QNetworkReply *reply = nam.get(request);
    QEventLoop loop; // a stand-alone helper program: no other events are waiting
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    loop.exec();
    reply->deleteLater();
    if (landedOn)
        *landedOn = reply->url();
    if (status)
        *status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    return reply->error() == QNetworkReply::NoError ? reply->readAll() : QByteArray();
}

QString firstMatch(const QByteArray &page, const QString &pattern)
{
    return QRegularExpression(pattern).match(QString::fromUtf8(page)).captured(1);
}

int approve(const QUrl &url, const QString &report)
{
    const auto note = [&report](const QString &text) {
        if (!report.isEmpty())
            appendLine(report, u"browser: %1"_s.arg(text).toUtf8());
    };
    QNetworkAccessManager nam;
    const QByteArray page = get(nam, url, nullptr, nullptr);
    note(u"GET %1?…"_s.arg(url.toString(QUrl::RemoveQuery)));
    note(u"consent page \"%1\": %2"_s.arg(firstMatch(page, u"<title>([^<]*)</title>"_s),
            firstMatch(page, u"<p>([^<]*)</p>"_s).replace(u"&quot;"_s, u"\""_s)));
    QString link = firstMatch(page, u"id=\"approve\" href=\"([^\"]*)\""_s);
    if (link.isEmpty()) {
        note(u"no Approve link"_s);
        return 1;
    }
    link.replace(u"&amp;"_s, u"&"_s);
    note(u"the user clicks Approve"_s);
    QUrl landed;
    int status = 0;
    const QByteArray result = get(nam, url.resolved(QUrl(link)), &landed, &status);
    note(u"landed on %1?… (HTTP %2): \"%3\""_s.arg(landed.toString(QUrl::RemoveQuery))
                    .arg(status)
                    .arg(firstMatch(result, u"<h1>([^<]*)</h1>"_s)));
    return status == 200 ? 0 : 1;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    std::fputs("FAKE-BROWSER-STDOUT-NOISE\n", stdout);
    std::fflush(stdout);
    std::fputs("FAKE-BROWSER-STDERR-NOISE\n", stderr);
    std::fflush(stderr);

    QStringList arguments = app.arguments().mid(1);
    if (const QString record = qEnvironmentVariable("FAKE_BROWSER_RECORD"); !record.isEmpty())
        writeRecord(record, arguments);
    QString append;
    QString report;
    bool approveLogin = false;
    while (!arguments.isEmpty() && arguments.constFirst().startsWith(u"--"_s)) {
        const QString option = arguments.takeFirst();
        if (option == u"--append"_s && !arguments.isEmpty())
            append = arguments.takeFirst();
        else if (option == u"--report"_s && !arguments.isEmpty())
            report = arguments.takeFirst();
        else if (option == u"--approve"_s)
            approveLogin = true;
    }
    if (arguments.isEmpty())
        return 0;
    const QString url = arguments.constLast();
    if (!append.isEmpty() && !appendLine(append, url.toUtf8()))
        return 1;
    return approveLogin ? approve(QUrl(url), report) : 0;
}

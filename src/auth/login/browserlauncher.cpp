#include "auth/login/browserlauncher.h"

#include <QtCore/QDir>
#include <QtCore/QFileInfo>
#include <QtCore/QProcess>
#include <QtCore/QStandardPaths>
#include <QtCore/QStringList>

using namespace Qt::StringLiterals;

namespace McpProxy {

namespace {

QString findProgram(const QString &name, const QProcessEnvironment &environment)
{
    if (name.contains(u'/') || name.contains(QDir::separator())) {
        const QFileInfo info(name);
        return info.isFile() && info.isExecutable() ? info.absoluteFilePath() : QString();
    }
    const QStringList paths =
            environment.value(u"PATH"_s).split(QDir::listSeparator(), Qt::SkipEmptyParts);
    return QStandardPaths::findExecutable(name, paths);
}

// The member startDetached() with every std channel on the null device: the static overload
// leaves the child on our stdout (docs/qt-notes.md).
bool startDetached(const QString &program, const QStringList &arguments,
        const QProcessEnvironment &environment, qint64 *pid)
{
    QProcess process;
    process.setProgram(program);
    process.setArguments(arguments);
    process.setProcessEnvironment(environment);
    process.setStandardInputFile(QProcess::nullDevice());
    process.setStandardOutputFile(QProcess::nullDevice());
    process.setStandardErrorFile(QProcess::nullDevice());
    process.setWorkingDirectory(QDir::rootPath()); // do not pin our working directory
    return process.startDetached(pid);
}

// One word of a $BROWSER command: "%s" becomes the URL, "%%" a "%".
QString substitute(const QString &word, const QString &url, bool *used)
{
    QString out;
    for (qsizetype i = 0; i < word.size(); ++i) {
        if (word.at(i) == u'%' && i + 1 < word.size()) {
            if (word.at(i + 1) == u's') {
                out += url;
                *used = true;
                ++i;
                continue;
            }
            if (word.at(i + 1) == u'%') {
                out += u'%';
                ++i;
                continue;
            }
        }
        out += word.at(i);
    }
    return out;
}

} // namespace

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
    const QString target = url.toString(QUrl::FullyEncoded);
    QStringList notes;

    // $BROWSER, as Python's webbrowser module and many CLIs read it, on every platform: a list
    // separated like PATH (";" on Windows, where ":" follows every drive letter).
    const QString browser = environment.value(u"BROWSER"_s);
    for (const QString &entry : browser.split(QDir::listSeparator(), Qt::SkipEmptyParts)) {
        QStringList words = QProcess::splitCommand(entry);
        if (words.isEmpty())
            continue;
        bool used = false;
        for (QString &word : words)
            word = substitute(word, target, &used);
        if (!used)
            words.append(target);
        const QString name = words.takeFirst();
        if (launch(name, words, environment, u" from $BROWSER"_s, &notes)) {
            *out = notes.join(u"; "_s);
            return true;
        }
    }
    const bool opened = openNative(url, environment, &notes);
    *out = notes.join(u"; "_s);
    return opened;
}

bool BrowserLauncher::canOpen(const QProcessEnvironment &environment)
{
    const QString browser = environment.value(u"BROWSER"_s);
    for (const QString &entry : browser.split(QDir::listSeparator(), Qt::SkipEmptyParts)) {
        const QStringList words = QProcess::splitCommand(entry);
        if (!words.isEmpty() && !findProgram(words.first(), environment).isEmpty())
            return true;
    }
    return canOpenNative(environment);
}

bool BrowserLauncher::launch(const QString &name, const QStringList &arguments,
        const QProcessEnvironment &environment, const QString &source, QStringList *notes)
{
    const QString program = findProgram(name, environment);
    if (program.isEmpty()) {
        notes->append(u"%1 not found"_s.arg(name));
        return false;
    }
    qint64 pid = 0;
    if (!startDetached(program, arguments, environment, &pid)) {
        notes->append(u"%1 could not be started"_s.arg(QDir::toNativeSeparators(program)));
        return false;
    }
    notes->append(u"started %1%2 (pid %3)"_s.arg(
            QDir::toNativeSeparators(program), source, QString::number(pid)));
    return true;
}

} // namespace McpProxy

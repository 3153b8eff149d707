// BrowserLauncher on Linux, the BSDs and macOS (qt64-notes §5, Appendix B.6).
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
    if (name.contains(u'/')) {
        const QFileInfo info(name);
        return info.isFile() && info.isExecutable() ? info.absoluteFilePath() : QString();
    }
    const QStringList paths =
            environment.value(u"PATH"_s).split(QDir::listSeparator(), Qt::SkipEmptyParts);
    return QStandardPaths::findExecutable(name, paths);
}

// The member startDetached() with every std channel on the null device: the static overload
// leaves the child on our stdout (qt64-notes §5).
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

bool launch(const QString &name, const QStringList &arguments,
        const QProcessEnvironment &environment, const QString &source, QStringList *notes)
{
    const QString program = findProgram(name, environment);
    if (program.isEmpty()) {
        notes->append(u"%1 not found"_s.arg(name));
        return false;
    }
    qint64 pid = 0;
    if (!startDetached(program, arguments, environment, &pid)) {
        notes->append(u"%1 could not be started"_s.arg(program));
        return false;
    }
    notes->append(u"started %1%2 (pid %3)"_s.arg(program, source, QString::number(pid)));
    return true;
}

} // namespace

bool BrowserLauncher::openNative(
        const QUrl &url, const QProcessEnvironment &environment, QString *how)
{
    const QString target = url.toString(QUrl::FullyEncoded);
    QStringList notes;
    const auto done = [&notes, how](bool ok) {
        *how = notes.join(u"; "_s);
        return ok;
    };

    // $BROWSER, as Python's webbrowser module and many CLIs read it.
    const QString browser = environment.value(u"BROWSER"_s);
    for (const QString &entry : browser.split(u':', Qt::SkipEmptyParts)) {
        QStringList words = QProcess::splitCommand(entry);
        if (words.isEmpty())
            continue;
        bool used = false;
        for (QString &word : words)
            word = substitute(word, target, &used);
        if (!used)
            words.append(target);
        const QString name = words.takeFirst();
        if (launch(name, words, environment, u" from $BROWSER"_s, &notes))
            return done(true);
    }

#if defined(Q_OS_MACOS)
    return done(launch(u"/usr/bin/open"_s, {target}, environment, QString(), &notes));
#else
    // WSL: wslview (wslu) hands the URL to the Windows browser, no X/Wayland display needed.
    if (!environment.value(u"WSL_DISTRO_NAME"_s).isEmpty()
            && launch(u"wslview"_s, {target}, environment, QString(), &notes)) {
        return done(true);
    }
    // Without a display (SSH, containers) xdg-open would fall back to a text-mode browser that
    // fights over the terminal, or fail: the user copies the URL printed on stderr instead.
    if (environment.value(u"DISPLAY"_s).isEmpty()
            && environment.value(u"WAYLAND_DISPLAY"_s).isEmpty()) {
        notes.append(u"no display (neither DISPLAY nor WAYLAND_DISPLAY is set)"_s);
        return done(false);
    }
    return done(launch(u"xdg-open"_s, {target}, environment, QString(), &notes));
#endif
}

} // namespace McpProxy

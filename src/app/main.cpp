#include "app/commandline.h"
#include "app/proxyapplication.h"
#include "app/signalwatcher.h"
#include "app/subcommands.h"
#include "config/configloader.h"
#include "logging/messagehandler.h"
#include "logging/redactor.h"
#include "logging/standardstreams.h"
#include "transport/environmentproxyfactory.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QLibraryInfo>
#include <QtCore/QLocale>
#include <QtCore/QProcessEnvironment>
#include <QtCore/QTimer>
#include <QtCore/QTranslator>

using namespace McpProxy;
using namespace Qt::StringLiterals;

int main(int argc, char *argv[])
{
    prepareStandardStreams();
    QCoreApplication app(argc, argv);
    // The loader is the only reader of the environment; everything else gets its part from the
    // loaded configuration. Taken before the line below changes it: programs the proxy starts
    // (a browser) get this snapshot (ProxyConfig::childEnvironment), never our QT_NO_GLIB.
    const QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    // The threads Qt starts from now on (QNetworkAccessManager's HTTP threads) get Qt's own poll()
    // event dispatcher instead of GLib's: Qt reads QT_NO_GLIB whenever it creates a thread's
    // dispatcher (qthread_unix.cpp). GLib's wakes a loop with one eventfd write per posted event
    // (g_main_context_wakeup), Qt's once until the loop runs (QEventDispatcherUNIX::wakeUp)
    // (docs/performance.md, "Third pass"). The main thread keeps GLib's, created above:
    // libsecret, under the keychain, finishes its jobs only there (docs/qt-notes.md). A user's own
    // setting is kept, and reaches the programs we start with the snapshot above.
    if (!environment.contains(u"QT_NO_GLIB"_s))
        qputenv("QT_NO_GLIB", "1");
    QCoreApplication::setApplicationName(QStringLiteral("mcp-oauth2-proxy"));
    QCoreApplication::setApplicationVersion(QStringLiteral(MCPPROXY_VERSION));
    // User-facing text follows the locale; log text stays English. qtbase: QCommandLineParser.
    QTranslator qtTranslator;
    QTranslator translator;
    if (qtTranslator.load(
                QLocale(), u"qtbase"_s, u"_"_s, QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(&qtTranslator);
    if (translator.load(QLocale(), u"mcp-oauth2-proxy"_s, u"_"_s, u":/i18n"_s))
        QCoreApplication::installTranslator(&translator);

    const CommandLineParseResult cli = parseCommandLine(QCoreApplication::arguments());
    if (cli.status != CommandLineParseResult::Status::Ok) {
        const bool isError = cli.status == CommandLineParseResult::Status::Error;
        writeText(isError ? StandardStream::Error : StandardStream::Output, cli.text + u'\n');
        return isError ? 2 : 0;
    }
    const ConfigLoadResult loaded = loadConfig(cli.options, environment);
    for (const QString &warning : loaded.warnings)
        writeText(StandardStream::Error, warning + u'\n');
    const bool statusOfEverything =
            cli.options.command == CommandLineOptions::Command::Status && !loaded.config;
    if (!loaded.config && !statusOfEverything) {
        const QString text =
                QCoreApplication::translate("McpProxy::Main", "failed to load config: %1");
        writeText(StandardStream::Error, text.arg(loaded.error) + u'\n');
        return 2;
    }
    if (statusOfEverything) {
        // `status` without a server: list every entry of the (default or OAUTH2_TOKEN_CACHE_DIR)
        // store.
        Subcommand status(CommandLineOptions::Command::Status, std::nullopt,
                ProxyApplication::tokenStoreOptions(environmentDefaults(environment)));
        QObject::connect(&status, &Subcommand::finished, &app, &QCoreApplication::exit);
        QTimer::singleShot(0, &status, &Subcommand::start);
        return app.exec();
    }
    Redactor redactor;
    for (const QString &secret : configSecrets(*loaded.config))
        redactor.addSecret(secret);
    QString logError;
    if (!installMessageHandler(
                {loaded.config->logLevel, loaded.config->logFile}, redactor, &logError))
        writeText(StandardStream::Error,
                QCoreApplication::translate("McpProxy::Main", "log file: %1").arg(logError)
                        + u'\n');

    // Takes ownership; environment proxies first, then the system's (PAC, OS settings).
    QNetworkProxyFactory::setApplicationProxyFactory(
            new EnvironmentProxyFactory(loaded.config->proxyEnvironment));

    if (cli.options.command != CommandLineOptions::Command::Proxy) {
        Subcommand command(cli.options.command, *loaded.config,
                ProxyApplication::tokenStoreOptions(*loaded.config));
        QObject::connect(&command, &Subcommand::finished, &app, &QCoreApplication::exit);
        QTimer::singleShot(0, &command, &Subcommand::start);
        return app.exec();
    }
    ProxyApplication proxy(*loaded.config);
    QObject::connect(&proxy, &ProxyApplication::finished, &app, &QCoreApplication::exit);
    QTimer::singleShot(0, &proxy, &ProxyApplication::start);
    return app.exec();
}

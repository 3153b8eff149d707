#include "app/proxyapplication.h"
#include "app/signalwatcher.h"
#include "config/configloader.h"
#include "logging/messagehandler.h"
#include "logging/redactor.h"
#include "transport/environmentproxyfactory.h"

#include <QtCore/QCoreApplication>
#include <QtCore/QTimer>

#include <cstdio>

using namespace McpProxy;

int main(int argc, char *argv[])
{
    prepareStandardStreams();
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("mcp-oauth2-proxy"));
    QCoreApplication::setApplicationVersion(QStringLiteral(MCPPROXY_VERSION));

    const CommandLineParseResult cli = parseCommandLine(QCoreApplication::arguments());
    if (cli.status != CommandLineParseResult::Status::Ok) {
        const bool isError = cli.status == CommandLineParseResult::Status::Error;
        std::fputs(qPrintable(cli.text + u'\n'), isError ? stderr : stdout);
        return isError ? 2 : 0;
    }
    const ConfigLoadResult loaded =
            loadConfig(cli.options, QProcessEnvironment::systemEnvironment());
    for (const QString &warning : loaded.warnings)
        std::fprintf(stderr, "%s\n", qPrintable(warning));
    if (!loaded.config) {
        std::fprintf(stderr, "failed to load config: %s\n", qPrintable(loaded.error));
        return 2;
    }
    Redactor redactor;
    for (const QString &secret : configSecrets(*loaded.config))
        redactor.addSecret(secret);
    QString logError;
    if (!installMessageHandler(
                {loaded.config->logLevel, loaded.config->logFile}, redactor, &logError))
        std::fprintf(stderr, "log file: %s\n", qPrintable(logError));

    // Takes ownership; environment proxies first, then the system's (PAC, OS settings).
    QNetworkProxyFactory::setApplicationProxyFactory(
            new EnvironmentProxyFactory(QProcessEnvironment::systemEnvironment()));

    ProxyApplication proxy(*loaded.config);
    QObject::connect(&proxy, &ProxyApplication::finished, &app, &QCoreApplication::exit);
    QTimer::singleShot(0, &proxy, &ProxyApplication::start);
    return app.exec();
}

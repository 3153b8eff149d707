#pragma once

#include <QtCore/QAnyStringView>
#include <QtCore/QLatin1StringView>

#include <array>

// The configuration fields, declared once: JSON path in the file, environment variable, value
// type, when the environment value applies, whether the value is a secret. The loader reads and
// validates by this table; the help lists its environment variables.
namespace McpProxy::ConfigSchema {

using namespace Qt::StringLiterals;

inline constexpr double MaxSafeInteger = 9007199254740991.0; // Number.MAX_SAFE_INTEGER

enum class ValueType { String, NonEmptyString, Url, Integer, Boolean, StringMap, Headers, Globs };
// As in the npm package: most env values apply when non-empty ("truthy"); three booleans apply
// whenever the variable is defined, so an empty value means false.
enum class EnvRule { NonEmpty, Defined };

struct FieldSpec
{
    QLatin1String path;
    QLatin1String env; // empty: no environment variable
    ValueType type = ValueType::String;
    EnvRule envRule = EnvRule::NonEmpty;
    bool secret = false;
};

// The npm package's fields, in the order it applies the environment; additions marked.
inline constexpr std::array<FieldSpec, 46> Fields = {{
        {"upstream.url"_L1, "UPSTREAM_URL"_L1, ValueType::Url, EnvRule::NonEmpty, false},
        {"upstream.timeoutMs"_L1, "UPSTREAM_TIMEOUT_MS"_L1, ValueType::Integer, EnvRule::NonEmpty,
                false},
        {"upstream.openServerStream"_L1, "UPSTREAM_OPEN_SERVER_STREAM"_L1, ValueType::Boolean,
                EnvRule::NonEmpty, false},
        {"upstream.protocolVersion"_L1, "UPSTREAM_PROTOCOL_VERSION"_L1, ValueType::String,
                EnvRule::NonEmpty, false},
        {"upstream.protocol"_L1, "UPSTREAM_PROTOCOL"_L1, ValueType::String, EnvRule::NonEmpty,
                false}, // addition
        {"upstream.headers"_L1, QLatin1String(), ValueType::Headers, EnvRule::NonEmpty,
                true}, // addition
        {"upstream.caBundle"_L1, "MCP_PROXY_CA_BUNDLE"_L1, ValueType::String, EnvRule::NonEmpty,
                false}, // addition
        {"upstream.transport"_L1, "UPSTREAM_TRANSPORT"_L1, ValueType::String, EnvRule::NonEmpty,
                false}, // addition (mcp-remote's --transport)
        {"upstream.cookies"_L1, "UPSTREAM_COOKIES"_L1, ValueType::Boolean, EnvRule::Defined,
                false}, // addition (mcp-remote's cookie jar, --disable-cookies)
        {"upstream.pingIntervalMs"_L1, "UPSTREAM_PING_INTERVAL_MS"_L1, ValueType::Integer,
                EnvRule::NonEmpty, false}, // addition (mcp-remote's --keep-alive, --ping-interval)
        {"upstream.connectTimeoutMs"_L1, "UPSTREAM_CONNECT_TIMEOUT_MS"_L1, ValueType::Integer,
                EnvRule::NonEmpty, false}, // addition (mcp-remote's --connect-timeout)
        {"upstream.headersTimeoutMs"_L1, "UPSTREAM_HEADERS_TIMEOUT_MS"_L1, ValueType::Integer,
                EnvRule::NonEmpty, false}, // addition (mcp-remote's --headers-timeout)
        {"oauth2.grant"_L1, "OAUTH2_GRANT"_L1, ValueType::String, EnvRule::NonEmpty, false},
        {"oauth2.tokenUrl"_L1, "OAUTH2_TOKEN_URL"_L1, ValueType::Url, EnvRule::NonEmpty, false},
        {"oauth2.clientId"_L1, "OAUTH2_CLIENT_ID"_L1, ValueType::NonEmptyString, EnvRule::NonEmpty,
                false},
        {"oauth2.clientSecret"_L1, "OAUTH2_CLIENT_SECRET"_L1, ValueType::String, EnvRule::NonEmpty,
                true},
        {"oauth2.scope"_L1, "OAUTH2_SCOPE"_L1, ValueType::String, EnvRule::NonEmpty, false},
        {"oauth2.resource"_L1, "OAUTH2_RESOURCE"_L1, ValueType::NonEmptyString, EnvRule::NonEmpty,
                false},
        {"oauth2.audience"_L1, "OAUTH2_AUDIENCE"_L1, ValueType::String, EnvRule::NonEmpty, false},
        {"oauth2.authStyle"_L1, "OAUTH2_AUTH_STYLE"_L1, ValueType::String, EnvRule::NonEmpty,
                false},
        {"oauth2.refreshSkewSeconds"_L1, "OAUTH2_REFRESH_SKEW_SECONDS"_L1, ValueType::Integer,
                EnvRule::NonEmpty, false},
        {"oauth2.extraParams"_L1, "OAUTH2_EXTRA_PARAMS"_L1, ValueType::StringMap, EnvRule::NonEmpty,
                false},
        {"oauth2.authorizationCode"_L1, "OAUTH2_AUTHORIZATION_CODE"_L1, ValueType::NonEmptyString,
                EnvRule::NonEmpty, true},
        {"oauth2.authorizationUrl"_L1, "OAUTH2_AUTHORIZATION_URL"_L1, ValueType::Url,
                EnvRule::NonEmpty, false},
        {"oauth2.redirectUri"_L1, "OAUTH2_REDIRECT_URI"_L1, ValueType::Url, EnvRule::NonEmpty,
                false},
        {"oauth2.codeVerifier"_L1, "OAUTH2_CODE_VERIFIER"_L1, ValueType::NonEmptyString,
                EnvRule::NonEmpty, true},
        {"oauth2.refreshToken"_L1, "OAUTH2_REFRESH_TOKEN"_L1, ValueType::NonEmptyString,
                EnvRule::NonEmpty, true},
        {"oauth2.interactive"_L1, "OAUTH2_INTERACTIVE"_L1, ValueType::Boolean, EnvRule::Defined,
                false},
        {"oauth2.callbackHost"_L1, "OAUTH2_CALLBACK_HOST"_L1, ValueType::NonEmptyString,
                EnvRule::NonEmpty, false},
        {"oauth2.callbackPort"_L1, "OAUTH2_CALLBACK_PORT"_L1, ValueType::Integer, EnvRule::NonEmpty,
                false},
        {"oauth2.callbackTimeoutSeconds"_L1, "OAUTH2_CALLBACK_TIMEOUT_SECONDS"_L1,
                ValueType::Integer, EnvRule::NonEmpty, false},
        {"oauth2.tokenCacheDir"_L1, "OAUTH2_TOKEN_CACHE_DIR"_L1, ValueType::NonEmptyString,
                EnvRule::NonEmpty, false},
        {"oauth2.tokenEndpointAuthMethod"_L1, "OAUTH2_TOKEN_ENDPOINT_AUTH_METHOD"_L1,
                ValueType::String, EnvRule::NonEmpty, false}, // addition
        {"oauth2.clientMetadataUrl"_L1, "OAUTH2_CLIENT_METADATA_URL"_L1, ValueType::Url,
                EnvRule::NonEmpty, false}, // addition
        {"oauth2.privateKeyFile"_L1, "OAUTH2_PRIVATE_KEY_FILE"_L1, ValueType::String,
                EnvRule::NonEmpty, false}, // addition
        {"oauth2.signingAlgorithm"_L1, "OAUTH2_SIGNING_ALGORITHM"_L1, ValueType::String,
                EnvRule::NonEmpty, false}, // addition
        {"oauth2.sendResource"_L1, "OAUTH2_SEND_RESOURCE"_L1, ValueType::Boolean, EnvRule::Defined,
                false}, // addition
        {"oauth2.requirePkceSupport"_L1, "OAUTH2_REQUIRE_PKCE_SUPPORT"_L1, ValueType::Boolean,
                EnvRule::Defined, false}, // addition
        {"oauth2.useIdToken"_L1, "OAUTH2_USE_ID_TOKEN"_L1, ValueType::Boolean, EnvRule::Defined,
                false}, // addition (mcp-remote's --use-id-token)
        {"discovery.enabled"_L1, "DISCOVERY_ENABLED"_L1, ValueType::Boolean, EnvRule::Defined,
                false},
        {"log.level"_L1, "LOG_LEVEL"_L1, ValueType::String, EnvRule::NonEmpty, false},
        {"log.file"_L1, "LOG_FILE"_L1, ValueType::String, EnvRule::NonEmpty, false}, // addition
        {"allowInsecureHttp"_L1, "ALLOW_INSECURE_HTTP"_L1, ValueType::Boolean, EnvRule::Defined,
                false},
        {"stdio.maxLineBytes"_L1, "MCP_PROXY_MAX_LINE_BYTES"_L1, ValueType::Integer,
                EnvRule::NonEmpty, false}, // addition
        {"tools.allow"_L1, QLatin1String(), ValueType::Globs, EnvRule::NonEmpty,
                false}, // addition (--allow-tool)
        {"tools.deny"_L1, QLatin1String(), ValueType::Globs, EnvRule::NonEmpty,
                false}, // addition (mcp-remote's --ignore-tool)
}};

// The top-level objects of the file.
inline constexpr std::array<QLatin1String, 6> Groups = {
        "upstream"_L1, "oauth2"_L1, "discovery"_L1, "log"_L1, "stdio"_L1, "tools"_L1};

// The field at a JSON path ("oauth2.tokenUrl"), or nullptr.
inline const FieldSpec *findField(QAnyStringView path)
{
    for (const FieldSpec &field : Fields) {
        if (QAnyStringView(field.path) == path)
            return &field;
    }
    return nullptr;
}

} // namespace McpProxy::ConfigSchema

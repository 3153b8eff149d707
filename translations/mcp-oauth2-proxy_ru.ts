<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="ru">
<context>
    <name>McpProxy</name>
    <message>
        <source>no expiry</source>
        <translation>без срока действия</translation>
    </message>
    <message>
        <source>expired %1</source>
        <translation>истёк %1</translation>
    </message>
    <message>
        <source>valid until %1</source>
        <translation>действителен до %1</translation>
    </message>
</context>
<context>
    <name>McpProxy::AuthorizationCodeLogin</name>
    <message>
        <source>The interactive login needs an authorization endpoint and a client ID.</source>
        <translation>Для интерактивного входа нужны конечная точка авторизации (authorization endpoint) и идентификатор клиента (client ID).</translation>
    </message>
    <message>
        <source>The redirect URI %1 must be an http URI on 127.0.0.1, localhost or [::1] with an explicit port and no fragment (RFC 8252 §7.3).</source>
        <translation>Redirect URI %1 должен быть http-адресом на 127.0.0.1, localhost или [::1] с явно указанным портом и без фрагмента (RFC 8252 §7.3).</translation>
    </message>
    <message>
        <source>The OAuth callback port %1 is out of range.</source>
        <translation>Порт %1 для OAuth callback вне допустимого диапазона.</translation>
    </message>
    <message>
        <source>Open this URL in your browser to log in to %1:
  %2</source>
        <translation>Чтобы войти в %1, откройте этот адрес в браузере:
  %2</translation>
    </message>
    <message>
        <source>The authorization request could not be built.</source>
        <translation>Не удалось сформировать запрос авторизации.</translation>
    </message>
    <message>
        <source>login timed out after %1 s</source>
        <translation>время ожидания входа истекло (%1 с)</translation>
    </message>
    <message>
        <source>No browser was opened here. Open the URL above in a browser on any machine that can reach %1 — when this runs on a remote host over SSH, forward the port first:
  ssh -L %2:127.0.0.1:%2 &lt;this host&gt;
then open the URL on your computer. Waiting %3 s for the login.</source>
        <translation>Браузер здесь не открыт. Откройте адрес выше в браузере на любой машине, с которой доступен %1; если программа работает на удалённом хосте через SSH, сначала перенаправьте порт:
  ssh -L %2:127.0.0.1:%2 &lt;этот хост&gt;
и откройте адрес на своём компьютере. Ожидание входа: %3 с.</translation>
    </message>
</context>
<context>
    <name>McpProxy::AuthorizationManager</name>
    <message>
        <source>discovery is disabled (DISCOVERY_ENABLED=false) and no token endpoint is configured: set OAUTH2_TOKEN_URL (oauth2.tokenUrl)</source>
        <translation>обнаружение отключено (DISCOVERY_ENABLED=false), а конечная точка токенов не настроена: задайте OAUTH2_TOKEN_URL (oauth2.tokenUrl)</translation>
    </message>
    <message>
        <source>authorization discovery failed: %1</source>
        <translation>не удалось обнаружить сервер авторизации: %1</translation>
    </message>
    <message>
        <source>the authorization server %1 offers neither dynamic client registration nor client ID metadata documents: register a client there and set OAUTH2_CLIENT_ID (oauth2.clientId), and OAUTH2_CLIENT_SECRET if it is confidential</source>
        <translation>сервер авторизации %1 не поддерживает ни динамическую регистрацию клиентов, ни документы метаданных клиента (client ID metadata documents): зарегистрируйте там клиента и задайте OAUTH2_CLIENT_ID (oauth2.clientId), а для конфиденциального клиента — и OAUTH2_CLIENT_SECRET</translation>
    </message>
    <message>
        <source>the client_credentials grant needs a confidential client, but the authorization server %1 offers no client secret authentication for registration: register a client there and set OAUTH2_CLIENT_ID and OAUTH2_CLIENT_SECRET</source>
        <translation>для client_credentials нужен конфиденциальный клиент, но сервер авторизации %1 не предлагает при регистрации аутентификацию по секрету клиента: зарегистрируйте там клиента и задайте OAUTH2_CLIENT_ID и OAUTH2_CLIENT_SECRET</translation>
    </message>
    <message>
        <source>client registration failed: %1; set OAUTH2_CLIENT_ID (oauth2.clientId) to a pre-registered client instead</source>
        <translation>не удалось зарегистрировать клиента: %1; вместо этого задайте в OAUTH2_CLIENT_ID (oauth2.clientId) заранее зарегистрированного клиента</translation>
    </message>
    <message>
        <source>the client_credentials grant failed: %1</source>
        <translation>не удалось получить токен по client_credentials: %1</translation>
    </message>
    <message>
        <source>a browser login is needed but interactive login is disabled (OAUTH2_INTERACTIVE=false): set OAUTH2_REFRESH_TOKEN or OAUTH2_AUTHORIZATION_CODE, or enable interactive login</source>
        <translation>нужен вход через браузер, но интерактивный вход отключён (OAUTH2_INTERACTIVE=false): задайте OAUTH2_REFRESH_TOKEN или OAUTH2_AUTHORIZATION_CODE либо включите интерактивный вход</translation>
    </message>
    <message>
        <source>the authorization server %1 does not advertise PKCE S256 support (code_challenge_methods_supported), which MCP requires; set OAUTH2_REQUIRE_PKCE_SUPPORT=false only if you know it supports PKCE</source>
        <translation>сервер авторизации %1 не заявляет поддержку PKCE S256 (code_challenge_methods_supported), которой требует MCP; задавайте OAUTH2_REQUIRE_PKCE_SUPPORT=false, только если точно знаете, что PKCE поддерживается</translation>
    </message>
    <message>
        <source>no authorization endpoint is known: set OAUTH2_AUTHORIZATION_URL (oauth2.authorizationUrl) or enable discovery</source>
        <translation>конечная точка авторизации неизвестна: задайте OAUTH2_AUTHORIZATION_URL (oauth2.authorizationUrl) или включите обнаружение</translation>
    </message>
    <message>
        <source>the authorization code exchange failed: %1</source>
        <translation>не удалось обменять код авторизации на токен: %1</translation>
    </message>
    <message>
        <source>the server still requires more scope (%1) after %2 authorizations; check the scopes your account may be granted</source>
        <translation>сервер по-прежнему требует больше прав (%1) после %2 авторизаций; проверьте, какие права (scopes) может получить ваша учётная запись</translation>
    </message>
    <message>
        <source>; check OAUTH2_CLIENT_ID / OAUTH2_CLIENT_SECRET and the client authentication method (OAUTH2_TOKEN_ENDPOINT_AUTH_METHOD)</source>
        <translation>; проверьте OAUTH2_CLIENT_ID / OAUTH2_CLIENT_SECRET и способ аутентификации клиента (OAUTH2_TOKEN_ENDPOINT_AUTH_METHOD)</translation>
    </message>
    <message>
        <source>; log in again</source>
        <translation>; войдите заново</translation>
    </message>
    <message>
        <source>; check OAUTH2_SCOPE</source>
        <translation>; проверьте OAUTH2_SCOPE</translation>
    </message>
    <message>
        <source>the server now names the authorization server %1 instead of %2, and the configured client %3 (OAUTH2_CLIENT_ID) belongs to %2: register a client at %1 and configure it, or remove OAUTH2_CLIENT_ID to register automatically; `mcp-oauth2-proxy logout` forgets the stored tokens of %2</source>
        <translation>сервер теперь указывает сервер авторизации %1 вместо %2, а настроенный клиент %3 (OAUTH2_CLIENT_ID) относится к %2: зарегистрируйте клиента на %1 и задайте его или уберите OAUTH2_CLIENT_ID, чтобы клиент регистрировался автоматически; `mcp-oauth2-proxy logout` удаляет сохранённые токены %2</translation>
    </message>
    <message>
        <source>the authorization server %1 does not offer the device authorization grant (no device_authorization_endpoint in its metadata): remove OAUTH2_GRANT=device_code or --device-code to log in through a browser</source>
        <translation>сервер авторизации %1 не поддерживает вход по коду устройства (в его метаданных нет device_authorization_endpoint): уберите OAUTH2_GRANT=device_code или --device-code, чтобы войти через браузер</translation>
    </message>
    <message>
        <source>the device login was denied</source>
        <translation>вход по коду устройства отклонён</translation>
    </message>
    <message>
        <source>the device login code expired before the login was confirmed: %1</source>
        <translation>срок действия кода входа истёк до подтверждения входа: %1</translation>
    </message>
    <message>
        <source>the device login failed: %1</source>
        <translation>вход по коду устройства не удался: %1</translation>
    </message>
    <message>
        <source>the device authorization request to %1 failed: %2</source>
        <translation>запрос кода устройства к %1 не удался: %2</translation>
    </message>
</context>
<context>
    <name>McpProxy::CommandLine</name>
    <message>
        <source>the URL argument</source>
        <translation>аргумент URL</translation>
    </message>
    <message>
        <source>JSON config file (instead of MCP_PROXY_CONFIG)</source>
        <translation>JSON-файл конфигурации (вместо MCP_PROXY_CONFIG)</translation>
    </message>
    <message>
        <source>Upstream request header (repeatable; ${VAR} is expanded)</source>
        <translation>Заголовок запросов к MCP-серверу (можно повторять; ${VAR} подставляется)</translation>
    </message>
    <message>
        <source>trace, debug, info, warn, error or fatal (default: info)</source>
        <translation>trace, debug, info, warn, error или fatal (по умолчанию: info)</translation>
    </message>
    <message>
        <source>Append the log to this file instead of stderr</source>
        <translation>Дописывать журнал в этот файл, а не в stderr</translation>
    </message>
    <message>
        <source>Allow cleartext http to hosts that are not loopback</source>
        <translation>Разрешить незашифрованный http к хостам вне loopback</translation>
    </message>
    <message>
        <source>PEM file of additional trusted CA certificates</source>
        <translation>PEM-файл с дополнительными доверенными сертификатами CA</translation>
    </message>
    <message>
        <source>http-first (default), sse-first, http-only or sse-only</source>
        <translation>http-first (по умолчанию), sse-first, http-only или sse-only</translation>
    </message>
    <message>
        <source>Show this help and exit</source>
        <translation>Показать эту справку и выйти</translation>
    </message>
    <message>
        <source>Show the version and exit</source>
        <translation>Показать версию и выйти</translation>
    </message>
    <message>
        <source>A stdio MCP server that forwards JSON-RPC to a remote Streamable HTTP MCP server,
adding OAuth 2 access tokens.</source>
        <translation>MCP-сервер на stdio, который пересылает JSON-RPC удалённому MCP-серверу
по Streamable HTTP и добавляет токены доступа OAuth 2.</translation>
    </message>
    <message>
        <source>Arguments:</source>
        <translation>Аргументы:</translation>
    </message>
    <message>
        <source>The upstream MCP endpoint (instead of UPSTREAM_URL)</source>
        <translation>Адрес вышестоящего MCP-сервера (вместо UPSTREAM_URL)</translation>
    </message>
    <message>
        <source>Options:</source>
        <translation>Параметры:</translation>
    </message>
    <message>
        <source>Environment (see config.example.json for the file keys):</source>
        <translation>Переменные окружения (ключи файла конфигурации см. в config.example.json):</translation>
    </message>
    <message>
        <source>Precedence: built-in defaults &lt; config file &lt; environment &lt; command line.</source>
        <translation>Приоритет: значения по умолчанию &lt; файл конфигурации &lt; окружение &lt; командная строка.</translation>
    </message>
    <message>
        <source>(see %1 --help)</source>
        <translation>(см. %1 --help)</translation>
    </message>
    <message>
        <source>too many arguments: expected at most one URL, got %1 %2</source>
        <translation>слишком много аргументов: ожидается не более одного URL, получено %1 %2</translation>
    </message>
    <message>
        <source>Do not open a browser to log in; print the URL instead</source>
        <translation>Не открывать браузер для входа; вместо этого вывести URL</translation>
    </message>
    <message>
        <source>Usage: %1 [login|logout|status] [options] [URL]</source>
        <translation>Использование: %1 [login|logout|status] [параметры] [URL]</translation>
    </message>
    <message>
        <source>Commands (without one, run the proxy on stdio):</source>
        <translation>Команды (без команды прокси работает через stdio):</translation>
    </message>
    <message>
        <source>Log in to the server now and store the tokens</source>
        <translation>Войти на сервер сейчас и сохранить токены</translation>
    </message>
    <message>
        <source>Delete the stored tokens of the server (and revoke them)</source>
        <translation>Удалить сохранённые токены сервера (и отозвать их)</translation>
    </message>
    <message>
        <source>Show what is stored for which server (never a token)</source>
        <translation>Показать, что сохранено и для какого сервера (без самих токенов)</translation>
    </message>
    <message>
        <source>MCP era: auto (default), legacy or 2026-07-28</source>
        <translation>Редакция протокола MCP: auto (по умолчанию), legacy или 2026-07-28</translation>
    </message>
    <message>
        <source>Show only the tools that match (repeatable; * = any)</source>
        <translation>Показывать только подходящие инструменты (можно повторять; * = что угодно)</translation>
    </message>
    <message>
        <source>Hide the tools that match (repeatable; wins over allow)</source>
        <translation>Скрывать подходящие инструменты (можно повторять; важнее --allow-tool)</translation>
        <source>Log in with a code on another device (RFC 8628)</source>
        <translation>Войти с кодом на другом устройстве (RFC 8628)</translation>
        <source>the callback port argument</source>
        <translation>аргумент с портом обратного вызова</translation>
    </message>
    <message>
        <source>mcp-remote&apos;s command line is understood too (README: &quot;Switching from mcp-remote&quot;):</source>
        <translation>Командная строка mcp-remote тоже понимается (README: «Switching from mcp-remote»):</translation>
    </message>
</context>
<context>
    <name>McpProxy::Config</name>
    <message>
        <source>a string</source>
        <translation>строкой</translation>
    </message>
    <message>
        <source>an integer</source>
        <translation>целым числом</translation>
    </message>
    <message>
        <source>a boolean (true or false)</source>
        <translation>логическим значением (true или false)</translation>
    </message>
    <message>
        <source>an object of string values</source>
        <translation>объектом со строковыми значениями</translation>
    </message>
    <message>
        <source>an object of header names to string values</source>
        <translation>объектом, сопоставляющим именам заголовков строковые значения</translation>
    </message>
    <message>
        <source>%1 is not a valid URL: %2</source>
        <translation>%1 не является допустимым URL: %2</translation>
    </message>
    <message>
        <source>%1 uses cleartext http to a non-loopback host (%2), which would leak OAuth2 credentials/tokens. Use https, target a loopback address, or set allowInsecureHttp / ALLOW_INSECURE_HTTP=true to override.</source>
        <translation>%1 использует незашифрованный http к хосту вне loopback (%2), из-за чего учётные данные и токены OAuth2 могут утечь. Используйте https, укажите loopback-адрес или задайте allowInsecureHttp / ALLOW_INSECURE_HTTP=true, чтобы снять это ограничение.</translation>
    </message>
    <message>
        <source>%1 must use http or https, got &quot;%2&quot;</source>
        <translation>%1: допустимы только схемы http и https, получено «%2»</translation>
    </message>
    <message>
        <source>%1 must be %2, got %3</source>
        <translation>%1: значение должно быть %2, получено %3</translation>
    </message>
    <message>
        <source>%1: cannot read the config file %2: %3</source>
        <translation>%1: не удаётся прочитать файл конфигурации %2: %3</translation>
    </message>
    <message>
        <source>%1: the config file %2 is not valid JSON: %3 at offset %4</source>
        <translation>%1: файл конфигурации %2 содержит некорректный JSON: %3 (смещение %4)</translation>
    </message>
    <message>
        <source>%1: the config file %2 must contain a JSON object, got array</source>
        <translation>%1: файл конфигурации %2 должен содержать JSON-объект, а содержит массив</translation>
    </message>
    <message>
        <source>%1 must be an object, got %2</source>
        <translation>%1: значение должно быть объектом, получено %2</translation>
    </message>
    <message>
        <source>%1: the member %2 must be a string, got %3</source>
        <translation>%1: элемент %2 должен быть строкой, получено %3</translation>
    </message>
    <message>
        <source>%1: malformed &quot;${&quot; in the value (write ${NAME}, NAME made of letters, digits and underscores)</source>
        <translation>%1: некорректная конструкция «${» в значении (пишите ${NAME}, где NAME состоит из букв, цифр и знаков подчёркивания)</translation>
    </message>
    <message>
        <source>%1: the environment variable %2 is not set</source>
        <translation>%1: переменная окружения %2 не задана</translation>
    </message>
    <message>
        <source>%1: %2 is not a valid header name (allowed: letters, digits and !#$%&amp;&apos;*+-.^_`|~)</source>
        <translation>%1: %2 — недопустимое имя заголовка (разрешены латинские буквы, цифры и !#$%&amp;&apos;*+-.^_`|~)</translation>
    </message>
    <message>
        <source>%1: the header %2 cannot be set, the proxy manages it (reserved: %3)</source>
        <translation>%1: заголовок %2 задавать нельзя, им управляет сам прокси (зарезервированы: %3)</translation>
    </message>
    <message>
        <source>%1 must not contain CR, LF or other control characters, got %2</source>
        <translation>%1: значение не должно содержать CR, LF и другие управляющие символы, получено %2</translation>
    </message>
    <message>
        <source>%1: the header %2 is given twice (header names are case-insensitive)</source>
        <translation>%1: заголовок %2 указан дважды (имена заголовков не зависят от регистра)</translation>
    </message>
    <message>
        <source>%1 must be an integer, got %2</source>
        <translation>%1: значение должно быть целым числом, получено %2</translation>
    </message>
    <message>
        <source>%1 is out of range: %2</source>
        <translation>%1: значение вне допустимого диапазона: %2</translation>
    </message>
    <message>
        <source>%1 is not valid JSON: %2 at offset %3</source>
        <translation>%1: некорректный JSON: %2 (смещение %3)</translation>
    </message>
    <message>
        <source>--header must have the form &quot;Name: value&quot;, got %1 (occurrence %2)</source>
        <translation>значение --header должно иметь вид &quot;Name: value&quot;, получено %1 (вхождение №%2)</translation>
    </message>
    <message>
        <source>--header: the header %1 is given twice (header names are case-insensitive)</source>
        <translation>--header: заголовок %1 указан дважды (имена заголовков не зависят от регистра)</translation>
    </message>
    <message>
        <source>%1 must be a non-empty string, got %2</source>
        <translation>%1: значение должно быть непустой строкой, получено %2</translation>
    </message>
    <message>
        <source>an integer of at least %1</source>
        <translation>целым числом не меньше %1</translation>
    </message>
    <message>
        <source>an integer from %1 to %2</source>
        <translation>целым числом от %1 до %2</translation>
    </message>
    <message>
        <source>%1 must be one of %2, got %3</source>
        <translation>%1: значение должно быть одним из: %2; получено %3</translation>
    </message>
    <message>
        <source>%1 must be an absolute http or https URL, got %2</source>
        <translation>%1: значение должно быть абсолютным URL со схемой http или https, получено %2</translation>
    </message>
    <message>
        <source>%1 must be an https URL with a path (where the client metadata document is hosted), got %2</source>
        <translation>%1: значение должно быть https-URL с путём (адрес документа с метаданными клиента), получено %2</translation>
    </message>
    <message>
        <source>no such file</source>
        <translation>файл не существует</translation>
    </message>
    <message>
        <source>not a regular file</source>
        <translation>это не обычный файл</translation>
    </message>
    <message>
        <source>not readable</source>
        <translation>нет прав на чтение</translation>
    </message>
    <message>
        <source>%1 must name a readable file, got %2 (%3)</source>
        <translation>%1: значение должно указывать на доступный для чтения файл, получено %2 (%3)</translation>
    </message>
    <message>
        <source>%1 must be a file in an existing directory, got %2</source>
        <translation>%1: значение должно быть файлом в существующем каталоге, получено %2</translation>
    </message>
    <message>
        <source>upstream.url is required: set it in the config file, in UPSTREAM_URL or as the URL argument</source>
        <translation>не задан upstream.url: укажите его в файле конфигурации, в UPSTREAM_URL или аргументом URL</translation>
    </message>
    <message>
        <source>%1 must be an http URL on 127.0.0.1, localhost or [::1] with an explicit port and no fragment, where the proxy receives the login (RFC 8252 §7.3), got %2</source>
        <translation>%1 должен быть http-адресом на 127.0.0.1, localhost или [::1] с явно указанным портом и без фрагмента: по нему прокси принимает результат входа (RFC 8252 §7.3), получено %2</translation>
    </message>
    <message>
        <source>%1 must be a loopback address (127.0.0.1, localhost or ::1) so that only this machine can reach the login callback, got %2</source>
        <translation>%1 должен быть адресом loopback (127.0.0.1, localhost или ::1), чтобы обратный вызов входа был доступен только с этой машины, получено %2</translation>
    </message>
    <message>
        <source>%1 is sent as an HTTP header and may contain only letters, digits and !#$%&amp;&apos;*+-.^_`|~ (a revision such as 2025-11-25), got %2</source>
        <translation>%1 отправляется в HTTP-заголовке и может содержать только буквы, цифры и !#$%&amp;&apos;*+-.^_`|~ (версию вида 2025-11-25), получено %2</translation>
    </message>
    <message>
        <source>%1 is client_credentials, which needs a client: set oauth2.clientId / OAUTH2_CLIENT_ID, or enable discovery so that one can be registered (%2 is %3)</source>
        <translation>%1 равно client_credentials, а для этого нужен клиент: задайте oauth2.clientId / OAUTH2_CLIENT_ID или включите обнаружение, чтобы клиента можно было зарегистрировать (%2 равно %3)</translation>
    </message>
    <message>
        <source>an array of non-empty strings (tool name patterns)</source>
        <translation>массивом непустых строк (шаблонов имён инструментов)</translation>
    </message>
</context>
<context>
    <name>McpProxy::DeviceCodeLogin</name>
    <message>
        <source>To log in to %1, open this page in a browser on any device:
  %2
and enter the code: %3</source>
        <translation>Чтобы войти в %1, откройте эту страницу в браузере на любом устройстве:
  %2
и введите код: %3</translation>
    </message>
    <message>
        <source>Or open this address, which already holds the code:
  %1</source>
        <translation>Или откройте этот адрес, код в нём уже указан:
  %1</translation>
    </message>
    <message>
        <source>The code is valid for %1 s. Waiting for the confirmation…</source>
        <translation>Код действителен %1 с. Ожидание подтверждения…</translation>
        <source>%1 (an mcp-remote option) is not supported: %2</source>
        <translation>%1 (параметр mcp-remote) не поддерживается: %2</translation>
    </message>
    <message>
        <source>%1 must be a %2 number of seconds (at most %3), got %4</source>
        <translation>%1: значение должно быть %2 числом секунд (не больше %3), получено %4</translation>
    </message>
    <message>
        <source>non-negative</source>
        <translation>неотрицательным</translation>
    </message>
    <message>
        <source>positive</source>
        <translation>положительным</translation>
    </message>
    <message>
        <source>%1: cannot read %2: %3</source>
        <translation>%1: не удаётся прочитать %2: %3</translation>
    </message>
    <message>
        <source>%1 must be a JSON object or @file naming one</source>
        <translation>%1: значение должно быть JSON-объектом или @файлом с ним</translation>
    </message>
    <message>
        <source>only &quot;scope&quot; and &quot;token_endpoint_auth_method&quot; (strings) can be set for the registration</source>
        <translation>для регистрации можно задать только «scope» и «token_endpoint_auth_method» (строками)</translation>
    </message>
    <message>
        <source>%1 must contain a non-empty string &quot;client_id&quot;</source>
        <translation>%1 должен содержать непустую строку «client_id»</translation>
    </message>
    <message>
        <source>%1: &quot;client_secret&quot; must be a string</source>
        <translation>%1: «client_secret» должен быть строкой</translation>
    </message>
    <message>
        <source>the login callback always shows its own completion page</source>
        <translation>обратный вызов входа всегда показывает собственную страницу завершения</translation>
    </message>
    <message>
        <source>Qt chooses the address family itself; use a host name or URL that resolves to IPv4 only</source>
        <translation>Qt сам выбирает семейство адресов; используйте имя хоста или URL, которые разрешаются только в IPv4</translation>
    </message>
    <message>
        <source>--auth-timeout must be a positive whole number of seconds, got %1</source>
        <translation>значение --auth-timeout должно быть положительным целым числом секунд, получено %1</translation>
    </message>
    <message>
        <source>--client-credentials and --device-code choose different grants: give one of them</source>
        <translation>--client-credentials и --device-code выбирают разные способы получения токена: укажите только один</translation>
    </message>
    <message>
        <source>--token-endpoint can only be used with --client-credentials</source>
        <translation>--token-endpoint можно использовать только вместе с --client-credentials</translation>
    </message>
    <message>
        <source>--token-endpoint must be an https URL (or http on loopback) without credentials or fragment, got %1</source>
        <translation>значение --token-endpoint должно быть https-URL (или http на loopback) без учётных данных и фрагмента, получено %1</translation>
    </message>
    <message>
        <source>--resource must be an absolute URI (RFC 8707), e.g. https://example.com/mcp, got %1</source>
        <translation>значение --resource должно быть абсолютным URI (RFC 8707), например https://example.com/mcp, получено %1</translation>
    </message>
    <message>
        <source>--authorize-param must be key=value, e.g. audience=https://api.example.com, got %1</source>
        <translation>значение --authorize-param должно иметь вид key=value, например audience=https://api.example.com, получено %1</translation>
    </message>
    <message>
        <source>--authorize-param cannot set %1: the authorization flow derives it per request</source>
        <translation>--authorize-param не может задать %1: этот параметр вычисляется для каждого запроса авторизации</translation>
    </message>
    <message>
        <source>--header-file: cannot read %1: %2</source>
        <translation>--header-file: не удаётся прочитать %1: %2</translation>
    </message>
    <message>
        <source>--header-file %1: line %2 is not &quot;Name: value&quot;</source>
        <translation>--header-file %1: строка %2 не имеет вид «Name: value»</translation>
    </message>
    <message>
        <source>the callback port derived from the server URL (as mcp-remote)</source>
        <translation>порт обратного вызова, вычисленный по URL сервера (как в mcp-remote)</translation>
    </message>
    <message>
        <source>the callback port argument must be from 1 to 65535, got %1</source>
        <translation>аргумент с портом обратного вызова должен быть от 1 до 65535, получено %1</translation>
    </message>
    <message>
        <source>--callback-path must be a path starting with &quot;/&quot; (not /wait-for-auth or /.mcp-remote/id), got %1</source>
        <translation>значение --callback-path должно быть путём, начинающимся с «/» (не /wait-for-auth и не /.mcp-remote/id), получено %1</translation>
    </message>
    <message>
        <source>mcp-remote&apos;s callback host</source>
        <translation>хост обратного вызова mcp-remote</translation>
    </message>
</context>
<context>
    <name>McpProxy::Logging</name>
    <message>
        <source>cannot open log file &quot;%1&quot;: directory &quot;%2&quot; does not exist</source>
        <translation>не удаётся открыть файл журнала «%1»: каталог «%2» не существует</translation>
    </message>
    <message>
        <source>cannot open log file &quot;%1&quot;: %2</source>
        <translation>не удаётся открыть файл журнала «%1»: %2</translation>
    </message>
    <message>
        <source>the file belongs to another user (uid %1); use a file of your own</source>
        <translation>файл принадлежит другому пользователю (uid %1); укажите собственный файл</translation>
    </message>
    <message>
        <source>cannot make it readable by its owner only: %1</source>
        <translation>не удаётся сделать его доступным только владельцу: %1</translation>
    </message>
    <message>
        <source>cannot use log file &quot;%1&quot;: %2</source>
        <translation>нельзя использовать файл журнала &quot;%1&quot;: %2</translation>
    </message>
</context>
<context>
    <name>McpProxy::LoopbackReplyHandler</name>
    <message>
        <source>The OAuth callback host %1 is not a loopback address; use 127.0.0.1, localhost or ::1.</source>
        <translation>Хост %1 для OAuth callback не является loopback-адресом; используйте 127.0.0.1, localhost или ::1.</translation>
    </message>
    <message>
        <source>Cannot listen for the OAuth callback on %1 port %2: %3. Another program may be using the port; choose another one with %4.</source>
        <translation>Не удаётся принимать OAuth callback на %1, порт %2: %3. Возможно, порт занят другой программой; выберите другой порт в %4.</translation>
    </message>
    <message>
        <source>The request header is too large.</source>
        <translation>Заголовок запроса слишком велик.</translation>
    </message>
    <message>
        <source>Malformed request.</source>
        <translation>Некорректный запрос.</translation>
    </message>
    <message>
        <source>Request rejected: unexpected Host header.</source>
        <translation>Запрос отклонён: неожиданный заголовок Host.</translation>
    </message>
    <message>
        <source>Only GET requests are accepted here.</source>
        <translation>Здесь принимаются только GET-запросы.</translation>
    </message>
    <message>
        <source>Not found.</source>
        <translation>Не найдено.</translation>
    </message>
    <message>
        <source>This page does not belong to a login in progress. Start the login again from your MCP client.</source>
        <translation>Эта страница не относится ни к одному текущему входу. Начните вход заново из своего MCP-клиента.</translation>
    </message>
    <message>
        <source>Login failed: %1</source>
        <translation>Вход не выполнен: %1</translation>
    </message>
    <message>
        <source>the authorization server sent a malformed response (a parameter is repeated).</source>
        <translation>сервер авторизации прислал некорректный ответ (параметр повторяется).</translation>
    </message>
    <message>
        <source>the response did not identify the authorization server, although the server announces that it does (RFC 9207 iss parameter).</source>
        <translation>в ответе не указан сервер авторизации, хотя сервер заявляет, что указывает его (параметр iss, RFC 9207).</translation>
    </message>
    <message>
        <source>the response came from the authorization server %1 instead of %2 (RFC 9207). Another server may be trying to intercept the login.</source>
        <translation>ответ пришёл от сервера авторизации %1, а не от %2 (RFC 9207). Возможно, другой сервер пытается перехватить вход.</translation>
    </message>
    <message>
        <source>the authorization server sent neither an authorization code nor an error.</source>
        <translation>сервер авторизации не прислал ни кода авторизации, ни ошибки.</translation>
    </message>
    <message>
        <source>Login complete. You can close this tab and return to your MCP client.</source>
        <translation>Вход выполнен. Эту вкладку можно закрыть и вернуться в MCP-клиент.</translation>
    </message>
    <message>
        <source>Login complete</source>
        <translation>Вход выполнен</translation>
    </message>
    <message>
        <source>Login failed</source>
        <translation>Вход не выполнен</translation>
    </message>
    <message>
        <source>Request rejected</source>
        <translation>Запрос отклонён</translation>
    </message>
</context>
<context>
    <name>McpProxy::Main</name>
    <message>
        <source>failed to load config: %1</source>
        <translation>не удалось загрузить конфигурацию: %1</translation>
    </message>
    <message>
        <source>log file: %1</source>
        <translation>файл журнала: %1</translation>
    </message>
</context>
<context>
    <name>McpProxy::Subcommand</name>
    <message>
        <source>Token store: %1</source>
        <translation>Хранилище токенов: %1</translation>
    </message>
    <message>
        <source>server %1</source>
        <translation>сервер %1</translation>
    </message>
    <message>
        <source>issuer: %1</source>
        <translation>издатель (issuer): %1</translation>
    </message>
    <message>
        <source>client: %1</source>
        <translation>клиент: %1</translation>
    </message>
    <message>
        <source>scope: %1</source>
        <translation>scope: %1</translation>
    </message>
    <message>
        <source>access token: %1</source>
        <translation>токен доступа: %1</translation>
    </message>
    <message>
        <source>none</source>
        <translation>нет</translation>
    </message>
    <message>
        <source>refresh token: %1</source>
        <translation>токен обновления: %1</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>да</translation>
    </message>
    <message>
        <source>no</source>
        <translation>нет</translation>
    </message>
    <message>
        <source>saved: %1</source>
        <translation>сохранено: %1</translation>
    </message>
    <message>
        <source>client registration at %1</source>
        <translation>регистрация клиента на %1</translation>
    </message>
    <message>
        <source>redirect URI: %1</source>
        <translation>redirect URI: %1</translation>
    </message>
    <message>
        <source>Nothing is stored.</source>
        <translation>Ничего не сохранено.</translation>
    </message>
    <message>
        <source>Nothing is stored for %1.</source>
        <translation>Для %1 ничего не сохранено.</translation>
    </message>
    <message>
        <source>%1 file(s) could not be read (corrupt, or sealed with another key); they are replaced at the next login.</source>
        <translation>Не удалось прочитать файлов: %1 (повреждены или зашифрованы другим ключом); они будут заменены при следующем входе.</translation>
    </message>
    <message>
        <source>Could not delete every stored entry of %1.</source>
        <translation>Не удалось удалить все сохранённые записи для %1.</translation>
    </message>
    <message>
        <source>Logged out of %1: %2 stored login(s) deleted.</source>
        <translation>Выход из %1 выполнен: удалено сохранённых входов: %2.</translation>
    </message>
    <message>
        <source>Already logged in to %1.</source>
        <translation>Вход в %1 уже выполнен.</translation>
    </message>
    <message>
        <source>Login failed: %1</source>
        <translation>Вход не выполнен: %1</translation>
    </message>
    <message>
        <source>Logged in to %1; the tokens are stored.</source>
        <translation>Вход в %1 выполнен; токены сохранены.</translation>
    </message>
    <message>
        <source>the authorization server offers no token revocation</source>
        <translation>сервер авторизации не поддерживает отзыв токенов</translation>
    </message>
    <message>
        <source>the tokens were revoked at %1</source>
        <translation>токены отозваны на %1</translation>
    </message>
    <message>
        <source>revocation at %1 failed (HTTP %2)</source>
        <translation>отозвать токены на %1 не удалось (HTTP %2)</translation>
    </message>
</context>
</TS>

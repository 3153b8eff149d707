#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QString>

#include <utility>

namespace McpProxy {

using FormFields = QList<std::pair<QString, QString>>;

// application/x-www-form-urlencoded (RFC 6749 Appendix B, WHATWG URL section 5.2): UTF-8, RFC 3986
// unreserved (ALPHA DIGIT - . _ ~) kept, space as "+", every other byte as upper-case %XX (so "+"
// and "%" in values survive, unlike QUrlQuery, docs/qt-notes.md). Fields in the given order,
// joined with "&"; empty names and values are kept ("a=&=b").
QByteArray formEncode(const FormFields &fields);
// "Basic " + base64(formUrlEncode(client_id) ":" formUrlEncode(client_secret)), RFC 6749
// section 2.3.1.
QByteArray basicAuthorization(const QString &clientId, const QString &clientSecret);

} // namespace McpProxy

#pragma once

#include <QtCore/QByteArray>
#include <QtCore/QJsonObject>
#include <QtCore/QStringList>

namespace McpProxy::JsonKeyOrder {

// QJsonDocument parses and validates the config file, but QJsonObject sorts its keys, while the
// reference (JavaScript's JSON.parse) keeps them in source order. Where the order is visible
// (the upstream.headers sent, the oauth2.extraParams added to token requests) the loader takes
// it from the text: this is the one JSON walker of the configuration, and it reads nothing but
// key order.

// The keys of `object`, which QJsonDocument parsed from `json` at `path` (object keys from the
// root; empty: the root), in source order. A key given twice counts once, where it first
// appears. Falls back to QJsonObject's order when the text does not match.
QStringList keysInSourceOrder(
        const QByteArray &json, const QStringList &path, const QJsonObject &object);

// ECMAScript OrdinaryOwnPropertyKeys (ECMA-262 section 10.1.11.1): array-index keys first,
// ascending, then the rest in the given order, as JavaScript's Object.entries lists them.
QStringList ecmaScriptKeyOrder(const QStringList &keys);

} // namespace McpProxy::JsonKeyOrder

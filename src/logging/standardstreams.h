#pragma once

#include <QtCore/QString>

namespace McpProxy {

// Where text for a person goes: stdout for what a command was asked to print (--help, status,
// login results), stderr for the rest (errors, login instructions, log lines). stdout carries
// JSON-RPC while the proxy runs (StdoutWriter); this is for the other commands only.
enum class StandardStream { Output, Error };

// Writes text for a person in the encoding its reader decodes, in one write loop (lines of
// concurrent writers do not interleave; partial writes and EINTR continue it): UTF-8 bytes to a
// pipe, a file or a Unix terminal; to a Windows console UTF-16 through WriteConsoleW, because a
// console shows bytes through its code page, which holds one script at most (Cyrillic comes out
// as '?' on an English Windows). "\n" stays "\n" (no CRLF): the same bytes as on every other
// platform. What C stdio buffered for the stream is flushed first. Returns false when the stream
// is closed or a write failed.
bool writeText(StandardStream stream, const QString &text);

} // namespace McpProxy

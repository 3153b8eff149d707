#pragma once

namespace McpProxy::HttpSyntax {

// RFC 9110 section 5.6.2 tchar: the characters of a token (header names, auth schemes, parameter
// names). Header-only so that any concern that reads HTTP text can use it without linking
// transport.
constexpr bool isTokenChar(char16_t c)
{
    if ((c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') || (c >= u'0' && c <= u'9'))
        return true;
    switch (c) {
    case u'!':
    case u'#':
    case u'$':
    case u'%':
    case u'&':
    case u'\'':
    case u'*':
    case u'+':
    case u'-':
    case u'.':
    case u'^':
    case u'_':
    case u'`':
    case u'|':
    case u'~':
        return true;
    default:
        return false;
    }
}

} // namespace McpProxy::HttpSyntax

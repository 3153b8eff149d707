// Owner-only files on Windows: the meaning of 0600/0700 there is a protected DACL (nothing
// inherited from the parent folder) with a single entry granting the current user full access.
// A directory's entry is inherited by everything created inside it, so a temporary file of
// QSaveFile or a QLockFile file is private from its creation on.
#include "auth/store/privatefiles.h"

#include <QtCore/QDir>

#include <memory>

#include <aclapi.h>
#include <windows.h>

using namespace Qt::StringLiterals;

namespace McpProxy::PrivateFiles {

namespace {

struct LocalDeleter
{
    void operator()(void *p) const { LocalFree(p); }
};

// The current user's SID (TOKEN_USER), in a buffer that owns it.
std::unique_ptr<char[]> currentUser(PSID *sid)
{
    HANDLE token = nullptr;
    if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token))
        return nullptr;
    DWORD size = 0;
    GetTokenInformation(token, TokenUser, nullptr, 0, &size);
    auto buffer = std::make_unique<char[]>(size);
    const bool ok = size > 0 && GetTokenInformation(token, TokenUser, buffer.get(), size, &size);
    CloseHandle(token);
    if (!ok)
        return nullptr;
    *sid = reinterpret_cast<TOKEN_USER *>(buffer.get())->User.Sid;
    return buffer;
}

std::wstring nativePath(const QString &path)
{
    return QDir::toNativeSeparators(QDir::cleanPath(path)).toStdWString();
}

} // namespace

bool isOwnerOnlyNative(const QString &path)
{
    PSID user = nullptr;
    const auto userBuffer = currentUser(&user);
    if (!userBuffer)
        return false;
    PACL dacl = nullptr;
    PSECURITY_DESCRIPTOR descriptor = nullptr;
    if (GetNamedSecurityInfoW(nativePath(path).c_str(), SE_FILE_OBJECT, DACL_SECURITY_INFORMATION,
                nullptr, nullptr, &dacl, nullptr, &descriptor)
            != ERROR_SUCCESS) {
        return false;
    }
    const std::unique_ptr<void, LocalDeleter> owned(descriptor);
    SECURITY_DESCRIPTOR_CONTROL control = 0;
    DWORD revision = 0;
    if (!dacl || !GetSecurityDescriptorControl(descriptor, &control, &revision)
            || !(control & SE_DACL_PROTECTED) || dacl->AceCount == 0) {
        return false; // no DACL means everyone; an unprotected one takes the parent's entries
    }
    for (DWORD i = 0; i < dacl->AceCount; ++i) {
        ACE_HEADER *header = nullptr;
        if (!GetAce(dacl, i, reinterpret_cast<void **>(&header)))
            return false;
        if (header->AceType == ACCESS_DENIED_ACE_TYPE)
            continue; // denying never widens access
        if (header->AceType != ACCESS_ALLOWED_ACE_TYPE)
            return false;
        const auto *ace = reinterpret_cast<ACCESS_ALLOWED_ACE *>(header);
        if (!EqualSid(const_cast<DWORD *>(&ace->SidStart), user))
            return false;
    }
    return true;
}

bool restrictToOwnerNative(const QString &path, bool directory, QString *error)
{
    const auto fail = [&](DWORD code) {
        if (error) {
            *error = u"cannot make %1 private (owner-only access list, error %2)"_s.arg(
                    QDir::toNativeSeparators(path), QString::number(code));
        }
        return false;
    };
    PSID user = nullptr;
    const auto userBuffer = currentUser(&user);
    if (!userBuffer)
        return fail(GetLastError());
    EXPLICIT_ACCESS_W access{};
    access.grfAccessPermissions = GENERIC_ALL;
    access.grfAccessMode = SET_ACCESS;
    access.grfInheritance = directory ? SUB_CONTAINERS_AND_OBJECTS_INHERIT : NO_INHERITANCE;
    access.Trustee.TrusteeForm = TRUSTEE_IS_SID;
    access.Trustee.TrusteeType = TRUSTEE_IS_USER;
    access.Trustee.ptstrName = static_cast<LPWSTR>(user);
    PACL acl = nullptr;
    if (const DWORD code = SetEntriesInAclW(1, &access, nullptr, &acl); code != ERROR_SUCCESS)
        return fail(code);
    const std::unique_ptr<void, LocalDeleter> owned(acl);
    std::wstring native = nativePath(path);
    const DWORD code = SetNamedSecurityInfoW(native.data(), SE_FILE_OBJECT,
            DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, nullptr, nullptr, acl,
            nullptr);
    return code == ERROR_SUCCESS || fail(code);
}

} // namespace McpProxy::PrivateFiles

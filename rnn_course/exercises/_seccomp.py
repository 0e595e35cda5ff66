"""A seccomp filter for the student's grading process (issue 18): what no answer needs, refused by the kernel.

A 7th teacher's try got past the student's process's audit hook (``_remote._confine``), which PEP 578 says is
no sandbox: ``_posixsubprocess.fork_exec`` started a shell and ``signal.pidfd_send_signal`` sent signals
without any audit event, ``os.mknod`` made files, and a race on ``/proc/self/fd`` opened a file for writing
that the hook had seen as /dev/null. A seccomp filter (``seccomp(2)``, installed with ``prctl``; no library
needed) is checked by the kernel on the system call itself, after every path and race. It refuses, with EPERM:

- opening a file to write (``open``/``openat`` with a write, create, truncate or append flag; ``openat2`` and
  ``creat`` whole), and every call that makes, removes, renames, links or changes a file;
- new processes (``fork``, ``vfork``, ``clone`` without ``CLONE_THREAD``, ``execve``): threads stay allowed
  (``clone3`` answers ENOSYS, so that the C library falls back on ``clone``, whose flags the filter can read);
- signals to other processes, other processes' memory (``ptrace``, ``process_vm_*``, ``pidfd_*``), sockets,
  mounts and namespaces, io_uring, BPF, keys, kernel modules;
- what an 8th teacher's try used next: typing into the terminal (``ioctl`` TIOCSTI), signals sent when a
  descriptor is ready (``fcntl`` F_SETOWN, F_SETSIG, ...), another process's limits (``prlimit64`` with a pid)
  and priority, and every call newer than the filter (``fchmodat2``, ``setxattrat``, ...: ENOSYS, so that the
  C library falls back on the older calls it knows).

Reading is not limited by it (the audit hook refuses reads outside the allowed places, as a tripwire). x86-64
Linux only: elsewhere ``confine_system_calls`` returns False and the audit hook is the only line.
"""

from __future__ import annotations

import ctypes
import os
import platform
import struct
import sys

#: x86-64 system call numbers refused whole.
_REFUSED = {
    # processes and their memory
    "fork": 57, "vfork": 58, "execve": 59, "execveat": 322, "ptrace": 101, "process_vm_readv": 310,
    "process_vm_writev": 311, "pidfd_open": 434, "pidfd_send_signal": 424, "pidfd_getfd": 438, "kill": 62,
    "tkill": 200, "tgkill": 234, "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297, "kcmp": 312,
    # files: made, removed, renamed, linked, changed
    "creat": 85, "openat2": 437, "mknod": 133, "mknodat": 259, "unlink": 87, "unlinkat": 263, "rename": 82,
    "renameat": 264, "renameat2": 316, "mkdir": 83, "mkdirat": 258, "rmdir": 84, "link": 86, "linkat": 265,
    "symlink": 88, "symlinkat": 266, "chmod": 90, "fchmod": 91, "fchmodat": 268, "chown": 92, "fchown": 93,
    "lchown": 94, "fchownat": 260, "truncate": 76, "ftruncate": 77, "utime": 132, "utimes": 235,
    "utimensat": 280, "futimesat": 261, "setxattr": 188, "lsetxattr": 189, "fsetxattr": 190,
    "removexattr": 197, "lremovexattr": 198, "fremovexattr": 199, "open_by_handle_at": 304,
    "name_to_handle_at": 303, "fallocate": 285,
    # the network, mounts, namespaces and the rest of the kernel
    "socket": 41, "socketpair": 53, "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161,
    "unshare": 272, "setns": 308, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "bpf": 321, "perf_event_open": 298, "userfaultfd": 323, "keyctl": 250, "add_key": 248, "request_key": 249,
    "init_module": 175, "finit_module": 313, "delete_module": 176, "kexec_load": 246, "reboot": 169,
    "swapon": 167, "swapoff": 168, "acct": 163, "personality": 135, "mount_setattr": 442, "fsopen": 430,
    "fsmount": 432, "open_tree": 428, "move_mount": 429, "fsconfig": 431, "fspick": 433,
    # other processes' priority, CPUs and memory advice
    "setpriority": 141, "sched_setaffinity": 203, "sched_setscheduler": 144, "sched_setparam": 142,
    "sched_setattr": 314, "ioprio_set": 251, "process_madvise": 440, "migrate_pages": 256, "move_pages": 279,
}
#: Every call number from this one up (newer than the filter: fchmodat2, setxattrat, ...) answers ENOSYS, so that
#: the C library falls back on the older calls, which the filter knows.
_NEWEST = 443
#: ioctl requests refused: typing into the terminal (TIOCSTI), the console's (TIOCLINUX).
_IOCTLS = (0x5412, 0x541C)
#: fcntl commands refused: signals sent to another process when the descriptor is ready (F_SETOWN, F_SETOWN_EX,
#: F_SETSIG), leases and directory notices (F_SETLEASE, F_NOTIFY).
_FCNTLS = (8, 15, 10, 1024, 1026)
_IOCTL, _FCNTL, _PRLIMIT64 = 16, 72, 302
_OPEN, _OPENAT, _CLONE, _CLONE3 = 2, 257, 56, 435
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_CLONE_THREAD = 0x00010000
_AUDIT_ARCH_X86_64 = 0xC000003E
_X32_BIT = 0x40000000

# BPF: classic instructions (sock_filter) over seccomp_data {int nr; u32 arch; u64 ip; u64 args[6]}
_LD_W_ABS, _JEQ_K, _JSET_K, _JGE_K, _RET_K = 0x20, 0x15, 0x45, 0x35, 0x06
_ALLOW, _ERRNO = 0x7FFF0000, 0x00050000


def _program():
    """The filter, as a list of (code, jt, jf, k)."""
    deny_eperm = (_RET_K, 0, 0, _ERRNO | 1)          # EPERM
    deny_enosys = (_RET_K, 0, 0, _ERRNO | 38)        # ENOSYS
    allow = (_RET_K, 0, 0, _ALLOW)
    body = [(_LD_W_ABS, 0, 0, 4),                   # arch
            (_JEQ_K, 1, 0, _AUDIT_ARCH_X86_64),
            deny_eperm,                               # any other ABI (i386 through int 0x80)
            (_LD_W_ABS, 0, 0, 0),                   # nr
            (_JGE_K, 0, 1, _X32_BIT),
            deny_eperm,                               # the x32 ABI
            (_JGE_K, 0, 1, _NEWEST),
            deny_enosys]                              # calls newer than the filter
    for nr in sorted(set(_REFUSED.values())):
        body += [(_JEQ_K, 0, 1, nr), deny_eperm]
    body += [(_JEQ_K, 0, 1, _CLONE3), deny_enosys]
    # open(path, flags): flags is args[1] (offset 24); openat(dirfd, path, flags): args[2] (offset 32)
    for nr, offset in ((_OPEN, 24), (_OPENAT, 32)):
        body += [(_JEQ_K, 0, 3, nr), (_LD_W_ABS, 0, 0, offset), (_JSET_K, 0, 1, _WRITE_FLAGS), deny_eperm]
        body += [(_LD_W_ABS, 0, 0, 0)]   # nr again for the tests below
    # ioctl(fd, request) and fcntl(fd, cmd): the request or command is args[1] (offset 24)
    for nr, refused in ((_IOCTL, _IOCTLS), (_FCNTL, _FCNTLS)):
        body += [(_JEQ_K, 0, 2 + 2 * len(refused), nr), (_LD_W_ABS, 0, 0, 24)]
        for value in refused:
            body += [(_JEQ_K, 0, 1, value), deny_eperm]
        body += [(_LD_W_ABS, 0, 0, 0)]
    # prlimit64(pid, ...): only this process's own limits (pid 0); another's (nbgrader's) is refused
    body += [(_JEQ_K, 0, 3, _PRLIMIT64), (_LD_W_ABS, 0, 0, 16), (_JEQ_K, 1, 0, 0), deny_eperm,
             (_LD_W_ABS, 0, 0, 0)]
    # clone(flags, ...): a thread (CLONE_THREAD) is allowed, a process is not
    body += [(_JEQ_K, 0, 3, _CLONE), (_LD_W_ABS, 0, 0, 16), (_JSET_K, 1, 0, _CLONE_THREAD), deny_eperm]
    body += [allow]
    return body


def confine_system_calls():
    """Install the filter in this process (and its threads), for good: it cannot be removed or widened. Sets
    PR_SET_NO_NEW_PRIVS first, which an unprivileged process needs for it. Returns whether it is installed
    (False off x86-64 Linux, or where the kernel refuses it)."""
    if not sys.platform.startswith("linux") or platform.machine() not in ("x86_64", "AMD64"):
        return False
    program = _program()
    raw = b"".join(struct.pack("HBBI", *instruction) for instruction in program)
    buffer = ctypes.create_string_buffer(raw, len(raw))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = SockFprog(len(program), ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(38, 1, 0, 0, 0) != 0:                                   # PR_SET_NO_NEW_PRIVS
        return False
    # seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, prog): every thread of the process (numpy's
    # BLAS may have started some), else PR_SET_SECCOMP (22) with SECCOMP_MODE_FILTER (2) for this thread
    if libc.syscall(317, 1, 1, ctypes.byref(prog)) == 0:
        return True
    return libc.prctl(22, 2, ctypes.byref(prog), 0, 0) == 0

/* sandbox.c - seccomp filter, no new privileges, no core dumps (see
 * sandbox.h). Raw seccomp BPF: no libseccomp. */
#include "sandbox.h"
#include "creds.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#if defined(__x86_64__) && !defined(__ILP32__)
#define SANDBOX_ARCH_OK 1
#else
#define SANDBOX_ARCH_OK 0
#endif

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_SANITIZER 1
#endif
#endif
#ifndef SANDBOX_SANITIZER
#define SANDBOX_SANITIZER 0
#endif

/* ---- the plan ------------------------------------------------------------ */

static const char *look(s3_lookup_fn get, void *ctx, const char *name)
{
	const char *v = get ? get(ctx, name) : getenv(name);

	return v && *v ? v : NULL;
}

enum s3_err sandbox_plan(struct sandbox_plan *plan, s3_lookup_fn get, void *ctx,
                         unsigned reach, char *err, size_t errcap)
{
	const char *on = look(get, ctx, "S3_SANDBOX");

	memset(plan, 0, sizeof *plan);
	if (look(get, ctx, "S3_SANDBOX_EXEC")) {
		s3_msgf(err, errcap, "S3_SANDBOX_EXEC is gone: credential_process runs in a "
		    "broker process and the filter never allows execve; unset it");
		return S3_ERR_CONFIG;
	}
	if (on && strcmp(on, "0") && strcmp(on, "1")) {
		s3_msgf(err, errcap, "S3_SANDBOX must be 0 (off) or 1 (on, the default)");
		return S3_ERR_CONFIG;
	}
	if (on && !strcmp(on, "0")) {
		plan->mode = SANDBOX_OFF;
		return S3_OK;
	}
	plan->mode = reach & (S3_CREDS_REACH_NET | SANDBOX_REACH_S3) ? SANDBOX_INET
	                                                              : SANDBOX_STRICT;
	plan->s3 = !!(reach & SANDBOX_REACH_S3);
	plan->creds_net = !!(reach & S3_CREDS_REACH_NET);
	plan->broker = !!(reach & S3_CREDS_REACH_PROCESS);
	return S3_OK;
}

/* ---- the filter ---------------------------------------------------------- */

#if SANDBOX_ARCH_OK

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/sched.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/netlink.h>

#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC 1
#endif
#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#endif
#define X32_SYSCALL_BIT 0x40000000U

#define RET_ALLOW  SECCOMP_RET_ALLOW
#define RET_EPERM  (SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA))
#define RET_ENOSYS (SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA))
#define RET_KILL   SECCOMP_RET_KILL_PROCESS

enum rule_kind {
	R_ALLOW,        /* allowed */
	R_RET,          /* returns ret */
	R_MASK_CLEAR,   /* allowed when (arg & k) == 0 */
	R_MASK_EQ,      /* allowed when (arg & k) == want */
	R_IN,           /* allowed when arg is one of vals (self_pid: getpid()) */
	R_SOCKET,       /* socket(): families and types below */
};

struct rule {
	int nr;
	enum rule_kind kind;
	int arg;
	uint32_t k;
	const uint32_t *vals;
	int nvals;
	uint32_t want;
};

#define ALLOW(n)               { __NR_##n, R_ALLOW, 0, 0, NULL, 0, 0 }
#define RET(n, r)              { __NR_##n, R_RET, 0, (r), NULL, 0, 0 }
#define MASK_CLEAR(n, a, m)    { __NR_##n, R_MASK_CLEAR, (a), (m), NULL, 0, 0 }
#define MASK_EQ(n, a, m, w)    { __NR_##n, R_MASK_EQ, (a), (m), NULL, 0, (w) }
#define IN(n, a, v)            { __NR_##n, R_IN, (a), 0, (v), (int)(sizeof(v) / sizeof(v)[0]), 0 }

#define OPEN_WRITE (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)
/* clone(): a thread (CLONE_THREAD, CLONE_VM), in no new namespace */
#define CLONE_NS   (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | \
                    CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET)
#define CLONE_TMASK (CLONE_THREAD | CLONE_VM | CLONE_NS)
#define CLONE_TWANT (CLONE_THREAD | CLONE_VM)

static const uint32_t ioctls[] = { TCGETS, FIONREAD, FIONBIO, FIOCLEX, FIONCLEX };
static const uint32_t zero[] = { 0 };
#if !SANDBOX_SANITIZER
static const uint32_t prctls[] = {
	PR_GET_DUMPABLE, PR_GET_NAME, PR_SET_NAME, PR_SET_VMA, PR_SET_SECCOMP,
};
static const uint32_t self_pid[] = { 0 };    /* filled in at build time */
#else
static const uint32_t *const self_pid = NULL;
#endif

/* The strict allow-list, the most frequent first (the filter is a linear
 * scan). */
static const struct rule strict_rules[] = {
	/* the request: FastCGI socket or stdin/stdout, stderr log */
	ALLOW(read), ALLOW(write), ALLOW(readv), ALLOW(writev),
	ALLOW(recvfrom), ALLOW(recvmsg), ALLOW(sendto), ALLOW(sendmsg),
	ALLOW(poll), ALLOW(ppoll), ALLOW(select), ALLOW(pselect6), ALLOW(accept),
	ALLOW(accept4), ALLOW(close), ALLOW(shutdown), ALLOW(epoll_pwait),
	ALLOW(epoll_wait), ALLOW(epoll_create1), ALLOW(epoll_ctl),
	ALLOW(restart_syscall),    /* a poll or sleep resumed after SIGSTOP/SIGCONT */
	/* time, randomness (UUIDs, OpenSSL), memory */
	ALLOW(clock_gettime), ALLOW(gettimeofday), ALLOW(time), ALLOW(getrandom),
	ALLOW(brk), ALLOW(mmap), ALLOW(munmap), ALLOW(mremap), ALLOW(mprotect),
	ALLOW(madvise),
	/* signals: SIGTERM's handler, the mask held around a request */
	ALLOW(rt_sigaction), ALLOW(rt_sigprocmask), ALLOW(rt_sigreturn),
	ALLOW(sigaltstack),
	/* files, read-only: mime.types, magic db, ~/.aws files, libcurl */
	MASK_CLEAR(openat, 2, OPEN_WRITE), MASK_CLEAR(open, 1, OPEN_WRITE),
	ALLOW(fstat), ALLOW(newfstatat), ALLOW(stat), ALLOW(lstat), ALLOW(statx),
	ALLOW(lseek), ALLOW(pread64), ALLOW(fcntl), ALLOW(dup), ALLOW(dup2), ALLOW(dup3),
	ALLOW(access), ALLOW(faccessat), ALLOW(faccessat2), ALLOW(readlink),
	ALLOW(readlinkat), ALLOW(getdents64), ALLOW(getcwd), ALLOW(fadvise64),
	IN(ioctl, 1, ioctls),
	/* the container / IMDS credential sources (libcurl, glibc's resolver):
	 * socket() only in inet (in_mode) */
	{ __NR_socket, R_SOCKET, 0, 0, NULL, 0, 0 },
	ALLOW(connect), ALLOW(getsockopt), ALLOW(setsockopt), ALLOW(getsockname),
	ALLOW(getpeername), ALLOW(socketpair), ALLOW(pipe2), ALLOW(eventfd2),
	ALLOW(sendmmsg),
	/* threads (libcurl's resolver), futexes, identity */
#if SANDBOX_SANITIZER
	ALLOW(clone), ALLOW(ptrace), ALLOW(wait4), ALLOW(prctl), ALLOW(kill),
	ALLOW(tgkill), ALLOW(tkill), ALLOW(getdents),
#else
	MASK_EQ(clone, 0, CLONE_TMASK, CLONE_TWANT),
	IN(prctl, 0, prctls), IN(tgkill, 0, self_pid), IN(tkill, 0, self_pid),
#endif
	RET(clone3, RET_ENOSYS),
	ALLOW(futex), ALLOW(set_robust_list), ALLOW(get_robust_list), ALLOW(rseq),
	ALLOW(set_tid_address), ALLOW(sched_yield), ALLOW(nanosleep),
	ALLOW(clock_nanosleep), ALLOW(clock_getres), ALLOW(exit), ALLOW(exit_group),
	ALLOW(getpid), ALLOW(gettid), ALLOW(getppid), ALLOW(getuid), ALLOW(geteuid),
	ALLOW(getgid), ALLOW(getegid), ALLOW(getgroups), ALLOW(getresuid),
	ALLOW(getresgid), ALLOW(uname), ALLOW(sysinfo), ALLOW(getrlimit),
	IN(prlimit64, 0, zero),    /* this process only (pid 0) */
	ALLOW(getrusage), ALLOW(arch_prctl), ALLOW(sched_getaffinity),
};

/* Nothing sign_s3 should ever need: they kill the process. */
static const int hostile[] = {
#if !SANDBOX_SANITIZER
	__NR_ptrace,
#endif
	__NR_process_vm_readv, __NR_process_vm_writev, __NR_kcmp, __NR_pidfd_getfd,
	__NR_mount, __NR_umount2, __NR_pivot_root, __NR_chroot, __NR_unshare,
	__NR_setns, __NR_fsopen, __NR_fsconfig, __NR_fsmount, __NR_fspick,
	__NR_move_mount, __NR_open_tree, __NR_mount_setattr,
	__NR_open_by_handle_at, __NR_name_to_handle_at,
	__NR_kexec_load, __NR_kexec_file_load, __NR_init_module, __NR_finit_module,
	__NR_delete_module, __NR_bpf, __NR_perf_event_open, __NR_userfaultfd,
	__NR_keyctl, __NR_add_key, __NR_request_key, __NR_personality,
	__NR_setuid, __NR_setgid, __NR_setreuid, __NR_setregid, __NR_setresuid,
	__NR_setresgid, __NR_setgroups, __NR_setfsuid, __NR_setfsgid, __NR_capset,
	__NR_reboot, __NR_swapon, __NR_swapoff, __NR_acct, __NR_settimeofday,
	__NR_clock_settime, __NR_clock_adjtime, __NR_adjtimex, __NR_iopl, __NR_ioperm,
	__NR_quotactl, __NR_syslog, __NR_vhangup, __NR_uselib, __NR_lookup_dcookie,
	__NR_io_uring_setup, __NR_io_uring_enter, __NR_io_uring_register,
};

#define NSTRICT  (sizeof strict_rules / sizeof strict_rules[0])
#define NHOSTILE (sizeof hostile / sizeof hostile[0])
#define MAX_INS  1024

/* A tiny assembler: forward jumps to labels, resolved at the end. */
struct prog {
	struct sock_filter ins[MAX_INS];
	int jt[MAX_INS], jf[MAX_INS];   /* label, or -1: the next instruction */
	int lab[16];
	int nlab;
	size_t n;
	int bad;
};

static int label(struct prog *p)
{
	if (p->nlab >= (int)(sizeof p->lab / sizeof p->lab[0])) {
		p->bad = 1;
		return 0;
	}
	p->lab[p->nlab] = -1;
	return p->nlab++;
}

static void here(struct prog *p, int l)
{
	p->lab[l] = (int)p->n;
}

static void emit(struct prog *p, uint16_t code, uint32_t k, int jt, int jf)
{
	if (p->n >= MAX_INS) {
		p->bad = 1;
		return;
	}
	p->ins[p->n] = (struct sock_filter)BPF_JUMP(code, k, 0, 0);
	p->jt[p->n] = jt;
	p->jf[p->n] = jf;
	p->n++;
}

static void ret(struct prog *p, uint32_t r)
{
	emit(p, BPF_RET | BPF_K, r, -1, -1);
}

static void load_nr(struct prog *p)
{
	emit(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), -1, -1);
}

/* The low 32 bits of an argument: every checked one is an int or flags that
 * fit (x86_64 is little-endian). */
static void load_arg(struct prog *p, int i)
{
	emit(p, BPF_LD | BPF_W | BPF_ABS,
	     (uint32_t)offsetof(struct seccomp_data, args[i]), -1, -1);
}

/* Turns the labels of instructions from..n into BPF jump offsets. Labels
 * are scoped to one rule: they are reset after each. */
static void patch_jumps(struct prog *p, size_t from)
{
	for (size_t i = from; i < p->n; i++) {
		int t[2] = { p->jt[i], p->jf[i] };
		uint8_t off[2] = { 0, 0 };

		for (int j = 0; j < 2; j++) {
			long d;

			if (t[j] < 0)
				continue;
			d = (long)p->lab[t[j]] - (long)i - 1;
			if (p->lab[t[j]] < 0 || d < 0 || d > 255) {
				p->bad = 1;
				continue;
			}
			off[j] = (uint8_t)d;
		}
		p->ins[i].jt = off[0];
		p->ins[i].jf = off[1];
		p->jt[i] = p->jf[i] = -1;
	}
	p->nlab = 0;
}

static void rule(struct prog *p, const struct rule *r, uint32_t pid)
{
	size_t start = p->n;
	int next = label(p), allow = label(p), deny = label(p);

	emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)r->nr, -1, next);
	switch (r->kind) {
	case R_ALLOW:
		ret(p, RET_ALLOW);
		break;
	case R_RET:
		ret(p, r->k);
		break;
	case R_MASK_CLEAR:
		load_arg(p, r->arg);
		emit(p, BPF_JMP | BPF_JSET | BPF_K, r->k, deny, allow);
		break;
	case R_MASK_EQ:
		load_arg(p, r->arg);
		emit(p, BPF_ALU | BPF_AND | BPF_K, r->k, -1, -1);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, r->want, allow, deny);
		break;
	case R_IN:
		load_arg(p, r->arg);
		for (int i = 0; i < r->nvals; i++)   /* no match: falls to deny */
			emit(p, BPF_JMP | BPF_JEQ | BPF_K, r->vals == self_pid ? pid : r->vals[i],
			     allow, -1);
		break;
	case R_SOCKET: {
		int type = label(p), nl = label(p);

		load_arg(p, 0);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, AF_INET, type, -1);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, AF_INET6, type, -1);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, AF_NETLINK, nl, deny);
		here(p, nl);
		load_arg(p, 2);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, NETLINK_ROUTE, allow, deny);
		here(p, type);
		load_arg(p, 1);
		emit(p, BPF_ALU | BPF_AND | BPF_K, 0xf, -1, -1);   /* SOCK_TYPE_MASK */
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, SOCK_STREAM, allow, -1);
		emit(p, BPF_JMP | BPF_JEQ | BPF_K, SOCK_DGRAM, allow, -1);
		break;
	}
	}
	if (r->kind != R_ALLOW && r->kind != R_RET) {
		here(p, deny);
		ret(p, RET_EPERM);
		here(p, allow);
		ret(p, RET_ALLOW);
	}
	/* every block above ends in a return: "next" is reached only from the
	 * first JEQ, with nr still in the accumulator */
	here(p, next);
	patch_jumps(p, start);
}

static void header(struct prog *p)
{
	size_t start = p->n;
	int arch_ok = label(p), native = label(p);

	emit(p, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), -1, -1);
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, arch_ok, -1);
	ret(p, RET_KILL);
	here(p, arch_ok);
	load_nr(p);
	emit(p, BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, -1, native);
	ret(p, RET_KILL);
	here(p, native);
	patch_jumps(p, start);
}

/* Is rule r part of mode's filter? socket() only in inet. */
static int in_mode(const struct rule *r, enum sandbox_mode mode)
{
	return r->kind != R_SOCKET || mode == SANDBOX_INET;
}

static int build(struct prog *p, enum sandbox_mode mode)
{
	uint32_t pid = (uint32_t)getpid();

	memset(p, 0, sizeof *p);
	if (mode != SANDBOX_STRICT && mode != SANDBOX_INET)
		return -1;
	header(p);
	for (size_t i = 0; i < NSTRICT; i++)
		if (in_mode(&strict_rules[i], mode))
			rule(p, &strict_rules[i], pid);
	for (size_t i = 0; i < NHOSTILE; i++) {
		struct rule r = { hostile[i], R_RET, 0, RET_KILL, NULL, 0, 0 };

		rule(p, &r, pid);
	}
	ret(p, RET_EPERM);
	return p->bad ? -1 : 0;
}

int sandbox_supported(void)
{
	return 1;
}

int sandbox_count(enum sandbox_mode mode)
{
	int n = 0;

	if (mode != SANDBOX_STRICT && mode != SANDBOX_INET)
		return 0;
	for (size_t i = 0; i < NSTRICT; i++) {
		int dup = 0;

		if (strict_rules[i].kind == R_RET || !in_mode(&strict_rules[i], mode))
			continue;
		for (size_t j = 0; j < i; j++)
			dup |= strict_rules[j].nr == strict_rules[i].nr;
		n += !dup;
	}
	return n;
}

static enum s3_err load_filter(enum sandbox_mode mode, char *err, size_t errcap)
{
	static struct prog p;    /* 12 KiB: not on the stack */
	struct sock_fprog fp;

	if (build(&p, mode)) {
		s3_msgf(err, errcap, "sandbox: filter does not assemble");
		return S3_ERR_INVAL;
	}
	fp.len = (unsigned short)p.n;
	fp.filter = p.ins;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fp) != 0) {
		if (errno != ENOSYS || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp, 0, 0) != 0) {
			s3_msgf(err, errcap, "sandbox: cannot install the seccomp filter: %s",
			    strerror(errno));
			return S3_ERR_IO;
		}
	}
	return S3_OK;
}

#else /* !SANDBOX_ARCH_OK */

int sandbox_supported(void)
{
	return 0;
}

int sandbox_count(enum sandbox_mode mode)
{
	(void)mode;
	return 0;
}

static enum s3_err load_filter(enum sandbox_mode mode, char *err, size_t errcap)
{
	(void)mode;
	s3_msgf(err, errcap, "sandbox unsupported on this architecture");
	return S3_ERR_INVAL;
}

#endif

/* ---- install, describe --------------------------------------------------- */

enum s3_err sandbox_harden(enum sandbox_mode mode, char *err, size_t errcap)
{
	struct rlimit no_core = { 0, 0 };

	if (err && errcap)
		err[0] = '\0';
	if (mode == SANDBOX_OFF)
		return S3_OK;
	if (setrlimit(RLIMIT_CORE, &no_core) != 0) {
		s3_msgf(err, errcap, "sandbox: setrlimit(RLIMIT_CORE): %s", strerror(errno));
		return S3_ERR_IO;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		s3_msgf(err, errcap, "sandbox: prctl(PR_SET_DUMPABLE): %s", strerror(errno));
		return S3_ERR_IO;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		s3_msgf(err, errcap, "sandbox: prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
		return S3_ERR_IO;
	}
	return S3_OK;
}

enum s3_err sandbox_install(enum sandbox_mode mode, char *err, size_t errcap)
{
	enum s3_err e;

	if (mode == SANDBOX_OFF || (e = sandbox_harden(mode, err, errcap)) != S3_OK)
		return mode == SANDBOX_OFF ? S3_OK : e;
	return load_filter(mode, err, errcap);
}

void sandbox_describe(const struct sandbox_plan *plan, char *out, size_t cap)
{
	if (plan->mode == SANDBOX_OFF) {
		s3_msgf(out, cap, "off (S3_SANDBOX=0)");
		return;
	}
	if (!sandbox_supported()) {
		s3_msgf(out, cap, "unsupported on this architecture");
		return;
	}
	s3_msgf(out, cap, "seccomp on (%d syscalls allowed, %s%s)", sandbox_count(plan->mode),
	    plan->mode != SANDBOX_INET ? "no INET sockets" :
	    !plan->s3 ? "INET sockets for the container/IMDS credentials" :
	    plan->creds_net ?
	    "INET sockets for S3 (multipart) and the container/IMDS credentials" :
	    "INET sockets for S3 (multipart)",
	    plan->broker ? ", credential_process through a broker" : "");
}

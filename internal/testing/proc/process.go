// Package proc runs the child processes of the local stand-ins (moto_server, aws-lambda-rie)
// each in a process group of its own, so that stopping one ends everything it started, and
// keeps what they print.
package proc

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Process is a child started in a process group of its own, so Stop can end it together with
// anything it started in that group; Pdeathsig kills it should this program die without
// stopping it. (Pdeathsig follows the OS thread that started the child; the Go runtime does not
// end threads except under LockOSThread, which nothing here uses.)
type Process struct {
	name string
	cmd  *exec.Cmd
	// Out is everything the child printed.
	Out    *Output
	exited chan struct{} // closed once the child has exited and been reaped
	err    error         // the child's exit status, set before exited is closed
}

// Start starts argv with the environment env, its stdout and stderr going to out.
func Start(name string, argv, env []string, out *Output) (*Process, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{name: name, cmd: cmd, Out: out, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// Pid is the child's process id, which is also its process group's.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Running reports whether the child has not exited yet.
func (p *Process) Running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// ExitError describes how the child ended, with the end of what it printed.
func (p *Process) ExitError() error {
	return fmt.Errorf("%s exited (%v); its last output:\n%s", p.name, p.err, p.Out.Tail(15))
}

// Stop sends SIGTERM to the child's process group, and SIGKILL to it and to the groups in
// extra once grace has passed or the child has exited, so nothing in them outlives the call.
func (p *Process) Stop(grace time.Duration, extra ...int) {
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(grace):
	}
	// The group may still hold a grandchild that ignored SIGTERM; a group that is gone
	// already answers ESRCH, which is fine.
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	for _, g := range extra {
		_ = syscall.Kill(-g, syscall.SIGKILL)
	}
	<-p.exited
}

// Children returns the ids of the running processes whose parent is pid, read from /proc.
func Children(pid int) []int {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var out []int
	for _, path := range stats {
		b, err := os.ReadFile(path)
		if err != nil {
			continue // it ended while we looked
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the
		// last ')'.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		var state string
		var ppid int
		if _, err := fmt.Sscan(string(b[i+1:]), &state, &ppid); err != nil || ppid != pid {
			continue
		}
		child, err := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		if err == nil {
			out = append(out, child)
		}
	}
	return out
}

// FreePort asks the kernel for a free loopback TCP port. Another process may take it before
// the caller binds it; callers that start servers on it retry on "address already in use".
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

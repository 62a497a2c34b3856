package emulator

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// process is a child started in a process group of its own, so Stop can end it together with
// anything it started in that group; Pdeathsig kills it should this program die without
// stopping it. (Pdeathsig follows the OS thread that started the child; the Go runtime does not
// end threads except under LockOSThread, which nothing here uses.)
type process struct {
	name   string
	cmd    *exec.Cmd
	out    *Output
	exited chan struct{} // closed once the child has exited and been reaped
	err    error         // the child's exit status, set before exited is closed
}

// startProcess starts argv with the environment env, its stdout and stderr going to out.
func startProcess(name string, argv, env []string, out *Output) (*process, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, out: out, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// running reports whether the child has not exited yet.
func (p *process) running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// exitError describes how the child ended, with the end of what it printed.
func (p *process) exitError() error {
	return fmt.Errorf("%s exited (%v); its last output:\n%s", p.name, p.err, p.out.Tail(15))
}

// stop sends SIGTERM to the child's process group, and SIGKILL to it and to the groups in
// extra once grace has passed or the child has exited, so nothing in them outlives the call.
func (p *process) stop(grace time.Duration, extra ...int) {
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

// children returns the ids of the running processes whose parent is pid, read from /proc.
func children(pid int) []int {
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

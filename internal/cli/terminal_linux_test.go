package cli_test

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// endOfOutput follows everything a command wrote to the terminal, so the
// reader knows it has it all (a pty master may drop what it has not read
// yet once the other side closes).
const endOfOutput = "\x00end of test output\x00"

// openTerminal opens a pseudo-terminal: tty is a real terminal to the
// command under test (progress.IsTerminal says so), and output returns,
// byte for byte, what was written to it so far. Output processing is off,
// so a "\n" arrives as written, not as "\r\n".
func openTerminal(t *testing.T) (tty *os.File, output func() string) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	var unlock int32
	if err := ioctl(master, syscall.TIOCSPTLCK, unsafe.Pointer(&unlock)); err != nil {
		t.Fatalf("unlock pty: %v", err)
	}
	var n uint32
	if err := ioctl(master, syscall.TIOCGPTN, unsafe.Pointer(&n)); err != nil {
		t.Fatalf("pty number: %v", err)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatalf("open pty: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	var tio syscall.Termios
	if err := ioctl(tty, syscall.TCGETS, unsafe.Pointer(&tio)); err != nil {
		t.Fatalf("get termios: %v", err)
	}
	tio.Oflag &^= syscall.OPOST
	if err := ioctl(tty, syscall.TCSETS, unsafe.Pointer(&tio)); err != nil {
		t.Fatalf("set termios: %v", err)
	}

	var (
		mu  sync.Mutex
		buf bytes.Buffer
	)
	go func() {
		p := make([]byte, 32<<10)
		for {
			n, err := master.Read(p)
			mu.Lock()
			buf.Write(p[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	output = func() string {
		t.Helper()
		if _, err := tty.WriteString(endOfOutput); err != nil {
			t.Fatalf("write to pty: %v", err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			mu.Lock()
			s := buf.String()
			mu.Unlock()
			if i := strings.Index(s, endOfOutput); i >= 0 {
				mu.Lock()
				buf.Reset()
				buf.WriteString(s[i+len(endOfOutput):])
				mu.Unlock()
				return s[:i]
			}
			if time.Now().After(deadline) {
				t.Fatalf("terminal output did not arrive; so far %q", s)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	return tty, output
}

func ioctl(f *os.File, req uintptr, arg unsafe.Pointer) error {
	conn, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var errno syscall.Errno
	if err := conn.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, req, uintptr(arg))
	}); err != nil {
		return err
	}
	if errno != 0 {
		return errno
	}
	return nil
}

//! A software TPM (swtpm, from Debian's package of that name, which `deploy/setup.sh test`
//! installs) on loopback: a real TPM 2.0 as the TSS libraries see one, with its own state,
//! so two of them are two different machines' TPMs.

use std::process::{Child, Command, Stdio};

pub struct SoftTpm {
    pub tcti: String,
    port: u16,
    child: Child,
    _state: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn(state: &std::path::Path, port: u16) -> Child {
    Command::new("swtpm")
        .args(["socket", "--tpm2", "--tpmstate"])
        .arg(format!("dir={}", state.display()))
        .arg("--server")
        .arg(format!("type=tcp,port={port},bindaddr=127.0.0.1"))
        .arg("--ctrl")
        // The swtpm TCTI reaches the control channel on the next port.
        .arg(format!("type=tcp,port={},bindaddr=127.0.0.1", port + 1))
        .args(["--flags", "not-need-init,startup-clear"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("swtpm is needed for the TPM tests: ./deploy/setup.sh test installs it")
}

/// Waits until `child` listens on `port`; `false` when it exited (the port was taken).
fn listening(child: &mut Child, port: u16) -> bool {
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    false
}

impl SoftTpm {
    pub fn start() -> SoftTpm {
        let state = tempfile::tempdir().unwrap();
        for _ in 0..5 {
            let port = free_port();
            let mut child = spawn(state.path(), port);
            if listening(&mut child, port) {
                return SoftTpm {
                    tcti: format!("swtpm:host=127.0.0.1,port={port}"),
                    port,
                    child,
                    _state: state,
                };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("swtpm did not start");
    }

    /// Stops the TPM (as a machine whose TPM stops answering); its state stays.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again on the same port with the same state: the same TPM.
    pub fn restart(&mut self) {
        self.stop();
        self.child = spawn(self._state.path(), self.port);
        assert!(
            listening(&mut self.child, self.port),
            "swtpm did not restart"
        );
    }
}

impl Drop for SoftTpm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

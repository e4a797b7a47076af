//! A software TPM (swtpm, from Debian's package of that name, which `deploy/setup.sh test`
//! installs) on loopback: a real TPM 2.0 as the TSS libraries see one, with its own state,
//! so two of them are two different machines' TPMs.

use std::process::{Child, Command, Stdio};

pub struct SoftTpm {
    pub tcti: String,
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

impl SoftTpm {
    pub fn start() -> SoftTpm {
        let state = tempfile::tempdir().unwrap();
        for _ in 0..5 {
            // The swtpm TCTI reaches the control channel on the next port.
            let port = free_port();
            let ctrl = port + 1;
            let child = Command::new("swtpm")
                .args(["socket", "--tpm2", "--tpmstate"])
                .arg(format!("dir={}", state.path().display()))
                .arg("--server")
                .arg(format!("type=tcp,port={port},bindaddr=127.0.0.1"))
                .arg("--ctrl")
                .arg(format!("type=tcp,port={ctrl},bindaddr=127.0.0.1"))
                .args(["--flags", "not-need-init,startup-clear"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("swtpm is needed for the TPM tests: ./deploy/setup.sh test installs it");
            let mut child = child;
            for _ in 0..100 {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return SoftTpm {
                        tcti: format!("swtpm:host=127.0.0.1,port={port}"),
                        child,
                        _state: state,
                    };
                }
                if child.try_wait().unwrap().is_some() {
                    break; // a port taken meanwhile: try others
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("swtpm did not start");
    }
}

impl Drop for SoftTpm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

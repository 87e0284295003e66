//! A clean error instead of a crash when a mapped file is truncated.
//!
//! Reading a page of a memory map that lies past the end of its file
//! (another process truncated the file after it was mapped) raises SIGBUS,
//! which by default kills the process with no word of why. `connspy`
//! checks the file's size before each block it reads (see
//! [`crate::io::whole`]), which turns the common case into an ordinary error;
//! this handler covers the window between that check and the read.
//!
//! The handler may only do what is async-signal-safe, so everything it
//! needs is prepared beforehand: each guarded map registers its address
//! range and a ready-made message line in a fixed table of slots. On a
//! fault inside a registered range the handler writes that line to stderr
//! (once, however many threads fault together) and ends the process with
//! `_exit(1)` (a runtime error; the answer would be incomplete). Any other SIGBUS is not ours: the handler restores the
//! action that was there before (Rust's runtime reports stack overflows
//! through it) and raises the signal again, so that it meets that action
//! (a faulting access also runs again and faults once more).
//!
//! **Bound.** [`SLOTS`] maps at once carry a message naming their file;
//! while more are open, a SIGBUS outside the named ones is reported by one
//! generic line instead.

use std::ffi::c_void;
use std::io;
use std::ops::Range;
use std::ptr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering};

/// Maps that carry a message naming their file.
pub const SLOTS: usize = 64;

/// One registered map: `start..end` of the address space, and its line.
struct Slot {
    taken: AtomicBool,
    start: AtomicUsize,
    end: AtomicUsize,
    message: AtomicPtr<u8>,
    message_len: AtomicUsize,
}

#[allow(clippy::declare_interior_mutable_const)] // only to build SLOT_TABLE
const FREE: Slot = Slot {
    taken: AtomicBool::new(false),
    start: AtomicUsize::new(0),
    end: AtomicUsize::new(0),
    message: AtomicPtr::new(ptr::null_mut()),
    message_len: AtomicUsize::new(0),
};

static SLOT_TABLE: [Slot; SLOTS] = [FREE; SLOTS];

/// Guarded maps that found no free slot.
static UNNAMED: AtomicUsize = AtomicUsize::new(0);

/// The tool name messages start with; set once the handler is installed.
static TOOL: OnceLock<&'static str> = OnceLock::new();

/// What the handler line says after the tool's name and the file's.
const REASON: &str = "the file shrank while it was being read (truncated by another process?); \
                      the answer would be incomplete";

/// The generic line, for a map without a slot (built when installing).
static UNNAMED_MESSAGE: OnceLock<Box<[u8]>> = OnceLock::new();

/// Set by the first thread whose fault is reported.
static REPORTING: AtomicBool = AtomicBool::new(false);

/// The SIGBUS action in place before ours.
static PREVIOUS: OnceLock<libc::sigaction> = OnceLock::new();

/// Proof that the handler is installed, required to map a file (see
/// [`crate::io::whole::Whole::map`]): only [`install`] makes one, so no
/// file can be mapped in a process where a truncation would crash it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Installed(());

/// Installs the handler (once per process; later calls do nothing) and
/// returns the proof that it is in place. `tool` prefixes the line the
/// handler writes.
pub fn install(tool: &'static str) -> io::Result<Installed> {
    if TOOL.get().is_some() {
        return Ok(Installed(()));
    }
    let line = format!("{tool}: an input file: {REASON}\n");
    UNNAMED_MESSAGE.get_or_init(|| line.into_bytes().into_boxed_slice());
    // SAFETY: a zeroed `sigaction` is a valid "no action" value to fill
    // in; `on_sigbus` has the signature SA_SIGINFO requires, and only
    // does async-signal-safe things (atomic loads, write, _exit,
    // sigaction).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigbus as *const () as libc::sighandler_t;
        action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
        libc::sigemptyset(&mut action.sa_mask);
        let mut previous: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGBUS, &action, &mut previous) != 0 {
            return Err(io::Error::last_os_error());
        }
        let _ = PREVIOUS.set(previous);
    }
    let _ = TOOL.set(tool);
    Ok(Installed(()))
}

/// Registers a mapped file's address range for the handler while it
/// lives; dropping it (before the map is unmapped) unregisters it.
pub struct Guard {
    slot: Option<&'static Slot>,
    /// The line the handler writes; it must outlive the registration.
    _message: Box<[u8]>,
    unnamed: bool,
}

impl Guard {
    /// Guards `addresses` (a mapping of the file shown as `name`); does
    /// nothing when the handler is not installed.
    pub fn new(addresses: Range<usize>, name: &str) -> Guard {
        let Some(tool) = TOOL.get() else {
            return Guard {
                slot: None,
                _message: Box::default(),
                unnamed: false,
            };
        };
        let mut message = format!("{tool}: {name}: {REASON}").into_bytes();
        message.retain(|&b| b != b'\n');
        message.push(b'\n');
        let mut message = message.into_boxed_slice();
        let slot = SLOT_TABLE.iter().find(|slot| {
            slot.taken
                .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        });
        match slot {
            Some(slot) => {
                slot.message.store(message.as_mut_ptr(), Ordering::Release);
                slot.message_len.store(message.len(), Ordering::Release);
                slot.start.store(addresses.start, Ordering::Release);
                slot.end.store(addresses.end, Ordering::Release);
            }
            None => {
                UNNAMED.fetch_add(1, Ordering::AcqRel);
            }
        }
        Guard {
            unnamed: slot.is_none(),
            slot,
            _message: message,
        }
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(slot) = self.slot {
            slot.end.store(0, Ordering::Release);
            slot.start.store(0, Ordering::Release);
            slot.message_len.store(0, Ordering::Release);
            slot.message.store(ptr::null_mut(), Ordering::Release);
            slot.taken.store(false, Ordering::Release);
        }
        if self.unnamed {
            UNNAMED.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// The line for a fault at `address`, if it lies in a guarded map.
fn message_for(address: usize) -> Option<(*const u8, usize)> {
    for slot in &SLOT_TABLE {
        let end = slot.end.load(Ordering::Acquire);
        let start = slot.start.load(Ordering::Acquire);
        if start <= address && address < end {
            let message = slot.message.load(Ordering::Acquire);
            if !message.is_null() {
                return Some((message, slot.message_len.load(Ordering::Acquire)));
            }
        }
    }
    if UNNAMED.load(Ordering::Acquire) > 0 {
        return UNNAMED_MESSAGE.get().map(|m| (m.as_ptr(), m.len()));
    }
    None
}

extern "C" fn on_sigbus(_signal: libc::c_int, info: *mut libc::siginfo_t, _context: *mut c_void) {
    // SAFETY: the kernel passes a valid siginfo for SA_SIGINFO handlers;
    // the message pointers stay valid while registered (see `Guard`).
    unsafe {
        let address = (*info).si_addr() as usize;
        if let Some((message, len)) = message_for(address) {
            // Several threads may fault at once: the first one reports and
            // ends the process; the others wait for that end in silence.
            if REPORTING.swap(true, Ordering::AcqRel) {
                loop {
                    libc::pause();
                }
            }
            libc::write(libc::STDERR_FILENO, message.cast(), len);
            libc::_exit(1);
        }
        match PREVIOUS.get() {
            Some(previous) => libc::sigaction(libc::SIGBUS, previous, ptr::null_mut()),
            None => libc::signal(libc::SIGBUS, libc::SIG_DFL) as libc::c_int,
        };
        // Pending until this handler returns (SIGBUS is blocked while it
        // runs), then delivered to the restored action.
        libc::raise(libc::SIGBUS);
    }
}

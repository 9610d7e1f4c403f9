//! The one error type of the engine.
//!
//! Every failure is an [`Error`]: a [`ErrorKind`] saying whose fault it is, a
//! one-line message saying what went wrong (and, where it helps, what to do
//! next), and a [`Location`] naming the input, the inner component (by its
//! path in the instantiation tree) and the byte offset where that is known.

use std::fmt;

/// Whose fault a failure is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The input is not a valid WebAssembly component (or not wasm at all).
    InvalidInput,
    /// The input is valid but uses something meld cannot fuse faithfully yet.
    Unsupported,
    /// Several inputs could not be linked together.
    Link,
    /// A bug in meld: an invariant did not hold or the output did not validate.
    Internal,
}

impl ErrorKind {
    /// The kind as a short lowercase word, as the CLI and the other hosts print it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid-input",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Link => "link",
            ErrorKind::Internal => "internal",
        }
    }
}

/// Where in the input a failure was found; every part is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    /// Which top-level input (0-based), when several were given.
    pub input: Option<usize>,
    /// Path of the inner component in the instantiation tree, e.g. `root/consumer`.
    pub path: Option<String>,
    /// Byte offset in the input.
    pub offset: Option<usize>,
}

/// A failure of the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    location: Location,
}

/// Result with meld's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    #[cold]
    fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            location: Location::default(),
        }
    }

    /// The input is not valid wasm or not a valid component.
    #[cold]
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidInput, message)
    }

    /// The input uses something meld does not fuse yet.
    #[cold]
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported, message)
    }

    /// Inputs could not be linked.
    #[cold]
    pub fn link(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Link, message)
    }

    /// A bug in meld.
    #[cold]
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Internal, message)
    }

    /// Sets the byte offset, unless one is already known.
    pub fn at_offset(mut self, offset: usize) -> Self {
        self.location.offset.get_or_insert(offset);
        self
    }

    /// Sets the inner-component path, unless one is already known.
    pub fn in_component(mut self, path: &str) -> Self {
        if self.location.path.is_none() {
            self.location.path = Some(path.to_string());
        }
        self
    }

    /// Says which function of the fused module the error is about (a pass
    /// over the fused module has no offset in the input to give).
    pub(crate) fn in_function(mut self, what: &str) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }

    /// Sets which top-level input the error is about, unless already known.
    pub fn in_input(mut self, input: usize) -> Self {
        self.location.input.get_or_insert(input);
        self
    }

    /// Whose fault it is.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// What went wrong, without the location.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Where it went wrong.
    pub fn location(&self) -> &Location {
        &self.location
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)?;
        let Location {
            input,
            path,
            offset,
        } = &self.location;
        let mut parts = Vec::new();
        if let Some(input) = input {
            parts.push(format!("input {input}"));
        }
        if let Some(path) = path {
            parts.push(format!("component {path}"));
        }
        if let Some(offset) = offset {
            parts.push(format!("offset {offset:#x}"));
        }
        if !parts.is_empty() {
            write!(f, " (at {})", parts.join(", "))?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

impl From<wasmparser::BinaryReaderError> for Error {
    #[cold]
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        // Messages are printed on one line; wasmparser's may span several.
        let message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
        Error::invalid(message).at_offset(e.offset())
    }
}

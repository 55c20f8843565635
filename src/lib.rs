//! pavebot

//! The `shanshui` command: parses arguments, runs, maps the outcome to an
//! exit code.

fn main() -> std::process::ExitCode {
    cap_malloc_arenas();
    shanshui::cli::main()
}

/// Limits glibc's malloc to one arena per core, unless `MALLOC_ARENA_MAX`
/// says otherwise. By default every thread that allocates may get an arena
/// of its own, up to eight per core, and the memory freed into each stays
/// resident: after cold tiles rendered on the blocking pool's threads (as
/// they were then; they have their own threads now), the
/// 10^5-point set's server held 118 MB instead of 111 MB (107 MB with one
/// arena), with cached and cold throughput the same within the noise
/// (BENCHMARKS.md, "Memory and start-up").
/// Called first, before any thread exists.
fn cap_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let arenas = libc::c_int::try_from(cores).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt only sets a malloc parameter; no thread has
        // started, and glibc checks the value.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
}

import Glibc
import Logging

/// A pipeline's `alerts:`: shell commands run when something needs a person, as the Python
/// original's `send_alert` did. An empty command is off.
public struct AlertCommands: Sendable, Equatable {
    /// Run when an input is quarantined (once per file, after its last try).
    public var onFailure = ""
    /// Run when a job runs past the pipeline's `sla` (once per job).
    public var onSLAMiss = ""
    /// Run when a job's features drift past `drift.alert_psi` (once per job).
    public var onDrift = ""
    /// How long a hook may run before it is stopped (SIGTERM to its process group, then SIGKILL).
    public var timeout = Duration.seconds(30)

    public init() {}
}

/// What an alert hook is told, in its environment: `INFERWATCHER_EVENT`, `INFERWATCHER_PIPELINE`,
/// `INFERWATCHER_JOB`, `INFERWATCHER_INPUT`, `INFERWATCHER_REASON` and `INFERWATCHER_ARCHIVE` (where
/// the input went: its archive folder, or for a failure its path in `failed/`).
public struct AlertEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case failure
        case slaMiss = "sla-miss"
        case drift
    }

    public var kind: Kind
    public var pipeline: String
    public var job: String
    public var input: String
    public var reason: String
    public var archive: String

    /// The variables the hook gets on top of the daemon's own environment.
    var variables: [(name: String, value: String)] {
        [
            ("INFERWATCHER_EVENT", kind.rawValue), ("INFERWATCHER_PIPELINE", pipeline), ("INFERWATCHER_JOB", job),
            ("INFERWATCHER_INPUT", input), ("INFERWATCHER_REASON", reason), ("INFERWATCHER_ARCHIVE", archive),
        ]
    }
}

/// Starts alert hooks without ever blocking the pipeline or failing it.
///
/// Each hook is `/bin/sh -c COMMAND`, run as the daemon's user inside its sandbox, with standard
/// input from /dev/null and its output where the daemon's goes (the journal, under systemd), in
/// a process group of its own, with the signal dispositions and mask reset (the daemon ignores
/// the signals it handles, and a child would inherit that). A thread of its own waits for it, and
/// stops the whole group after the timeout. A hook that cannot start, fails or times out is
/// logged; nothing else happens.
struct AlertHookRunner: Sendable {
    let logger: Logger

    /// Runs `command` for `event`, or does nothing for an empty command; returns at once.
    func fire(_ command: String, for event: AlertEvent, timeout: Duration) {
        guard !command.isEmpty else { return }
        var log = logger
        log[metadataKey: "iw.job"] = "\(event.job)"
        log[metadataKey: "iw.input"] = "\(event.input)"
        let pid: pid_t
        do {
            pid = try Self.spawn(command, variables: event.variables)
        } catch {
            log.warning("the \(event.kind.rawValue) alert hook could not start: \(error.reason)")
            return
        }
        log.info("\(event.kind.rawValue) alert hook started (pid \(pid))")
        let waiter = log
        Self.detach { Self.wait(for: pid, timeout: timeout, event: event, log: waiter) }
    }

    struct SpawnError: Error {
        let reason: String
    }

    /// Starts `/bin/sh -c command` with the daemon's environment plus `variables`.
    private static func spawn(_ command: String, variables: [(name: String, value: String)]) throws(SpawnError) -> pid_t {
        let names = Set(variables.map(\.name))
        var environment: [String] = []
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "="), !names.contains(String(text[..<equals])) { environment.append(text) }
            entry += 1
        }
        environment += variables.map { "\($0.name)=\($0.value)" }
        let arguments = ["/bin/sh", "-c", command]

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))

        var pid: pid_t = 0
        let status = withCStrings(arguments) { argv in
            withCStrings(environment) { envp in
                posix_spawn(&pid, "/bin/sh", &actions, &attributes, argv, envp)
            }
        }
        guard status == 0 else { throw SpawnError(reason: String(cString: strerror(status))) }
        return pid
    }

    /// Waits for the hook; after `timeout`, SIGTERM to its group, 2 s later SIGKILL. Logs how it ended.
    private static func wait(for pid: pid_t, timeout: Duration, event: AlertEvent, log: Logger) {
        let name = "\(event.kind.rawValue) alert hook (pid \(pid))"
        var status: Int32 = 0
        func exited(within duration: Duration) -> Bool {
            let deadline = ContinuousClock.now + duration
            while true {
                let result = waitpid(pid, &status, WNOHANG)
                if result == pid || (result < 0 && errno != EINTR) { return true }
                if ContinuousClock.now >= deadline { return false }
                usleep(20_000)
            }
        }
        if !exited(within: timeout) {
            kill(-pid, SIGTERM)
            if !exited(within: .seconds(2)) {
                kill(-pid, SIGKILL)
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            }
            log.warning("\(name) was stopped after \(TimeSpan.format(timeout)), its timeout")
            return
        }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import.
        let signal = status & 0x7f
        if signal == 0 {
            let code = (status >> 8) & 0xff
            if code == 0 {
                log.info("\(name) finished")
            } else {
                log.warning("\(name) failed with exit status \(code)")
            }
        } else {
            log.warning("\(name) was killed by signal \(signal)")
        }
    }

    /// Runs `body` on a detached POSIX thread.
    private static func detach(_ body: @escaping @Sendable () -> Void) {
        final class Box: Sendable {
            let body: @Sendable () -> Void
            init(_ body: @escaping @Sendable () -> Void) { self.body = body }
        }
        var handle = pthread_t()
        let context = Unmanaged.passRetained(Box(body)).toOpaque()
        let started = pthread_create(
            &handle, nil,
            { context in
                Unmanaged<Box>.fromOpaque(context!).takeRetainedValue().body()
                return nil
            }, context)
        if started == 0 {
            pthread_detach(handle)
        } else {
            Unmanaged<Box>.fromOpaque(context).takeRetainedValue().body()
        }
    }
}

/// Calls `body` with `strings` as a NULL-terminated array of C strings.
private func withCStrings<Result>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> Result) -> Result {
    let pointers = strings.map { strdup($0) } + [nil]
    defer { pointers.forEach { free($0) } }
    return body(pointers)
}

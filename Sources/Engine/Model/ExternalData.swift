#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads tensor bytes that a model keeps in files beside it (`data_location: EXTERNAL`).
///
/// ONNX names such a file by a `location` relative to the model's folder. The
/// folder is a trust boundary: absolute locations, `..` components and
/// symbolic links that resolve outside the folder are refused, so a model
/// cannot make the daemon read arbitrary files.
struct ExternalDataReader: Sendable {
    /// The path the model was loaded from, as given (for messages).
    let modelPath: String

    init(modelPath: String) {
        self.modelPath = modelPath
    }

    /// The model's folder with symbolic links resolved; looked up only when a tensor is external.
    private func resolvedFolder() throws(ModelError) -> String {
        let folder = ExternalDataReader.folder(of: modelPath)
        guard let resolved = ExternalDataReader.resolve(folder) else {
            throw failure("cannot resolve the model's folder '\(folder)' to read external tensor data")
        }
        return resolved
    }

    /// The folder part of a path, or `.` for a bare file name.
    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let folder = String(path[..<slash])
        return folder.isEmpty ? "/" : folder
    }

    /// Returns the bytes of one external tensor.
    ///
    /// - Parameters:
    ///   - location: the `location` entry, relative to the model's folder.
    ///   - offset: the `offset` entry, 0 when absent.
    ///   - length: the `length` entry; when absent, everything from `offset` to the end of the file.
    ///   - expectedLength: the bytes the tensor's shape and type need; anything else is refused
    ///     before a byte is allocated.
    ///   - tensorName: the initializer's name, for messages.
    func read(
        location: String, offset: Int, length: Int?, expectedLength: Int, tensorName: String
    ) throws(ModelError) -> [UInt8] {
        let path = try checkedPath(location: location, tensorName: tensorName)
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else {
            throw failure("cannot open '\(location)' for tensor '\(tensorName)' (errno \(errno))")
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw failure("cannot stat '\(location)' for tensor '\(tensorName)' (errno \(errno))")
        }
        let fileSize = Int(status.st_size)
        guard offset >= 0, offset <= fileSize else {
            throw failure("tensor '\(tensorName)' has offset \(offset) but '\(location)' holds only \(fileSize) bytes")
        }
        let byteCount = length ?? (fileSize - offset)
        // Compared without adding, so a length near Int.max cannot overflow.
        guard byteCount >= 0, byteCount <= fileSize - offset else {
            throw failure(
                "tensor '\(tensorName)' needs \(byteCount) bytes from offset \(offset) of '\(location)', which holds only \(fileSize) bytes"
            )
        }
        guard byteCount == expectedLength else {
            // The file is there and readable; it is the model that disagrees with itself.
            throw ModelError(
                code: .invalidGraph,
                message:
                    "\(modelPath): tensor '\(tensorName)' has \(byteCount) bytes of external data in '\(location)' but its shape and type need \(expectedLength); re-export the model"
            )
        }
        var bytes = [UInt8](repeating: 0, count: byteCount)
        var done = 0
        while done < byteCount {
            let got = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + done, byteCount - done, off_t(offset + done))
            }
            if got < 0 && errno == EINTR { continue }
            guard got > 0 else {
                throw failure("cannot read tensor '\(tensorName)' from '\(location)' (errno \(errno))")
            }
            done += got
        }
        return bytes
    }

    /// Resolves `location` inside the model's folder, refusing anything that could leave it.
    private func checkedPath(location: String, tensorName: String) throws(ModelError) -> String {
        guard !location.isEmpty else {
            throw failure("tensor '\(tensorName)' is stored externally but has no 'location'")
        }
        guard !location.hasPrefix("/") else {
            throw failure(
                "tensor '\(tensorName)' points at the absolute path '\(location)'; external data must be a relative path inside the model's folder"
            )
        }
        let components = location.split(separator: "/", omittingEmptySubsequences: true)
        guard !components.contains("..") else {
            throw failure(
                "tensor '\(tensorName)' points at '\(location)', which climbs out with '..'; external data must stay inside the model's folder"
            )
        }
        let resolvedFolder = try resolvedFolder()
        let joined = resolvedFolder + "/" + location
        guard let resolved = ExternalDataReader.resolve(joined) else {
            throw failure(
                "tensor '\(tensorName)' needs the external data file '\(location)', which does not exist beside the model; copy it next to the model file"
            )
        }
        let inside = resolvedFolder == "/" ? resolved.hasPrefix("/") : resolved.hasPrefix(resolvedFolder + "/")
        guard inside else {
            throw failure(
                "tensor '\(tensorName)' points at '\(location)', a symbolic link that resolves outside the model's folder (to '\(resolved)'); copy the data file into the folder instead"
            )
        }
        return resolved
    }

    private func failure(_ detail: String) -> ModelError {
        ModelError(code: .externalData, message: "\(modelPath): \(detail)")
    }

    /// `realpath(3)`: the absolute path with every symbolic link resolved, or nil when it does not exist.
    private static func resolve(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

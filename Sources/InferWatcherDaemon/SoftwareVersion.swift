/// inferwatcher's version, as `--version` prints it and archive manifests record it.
public enum SoftwareVersion {
    /// Keep in step with packaging/debian/changelog.
    public static let current = "0.1.0"
}

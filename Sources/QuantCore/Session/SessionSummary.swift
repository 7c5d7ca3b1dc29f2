import Foundation

/// One line of the preset list: a preset's name with its headline numbers, or the reason its file
/// cannot be read.
public struct SessionSummary: Sendable, Equatable {
    /// The preset's name (its file name without `.json`).
    public var name: String
    /// The preset's file.
    public var file: URL
    /// Held-out top-1 of the last results, 0…1.
    public var top1: Double?
    /// Exported bytes of the last results.
    public var sizeBytes: Int?
    /// Compression ratio of the last results.
    public var compressionRatio: Double?
    /// When the preset last changed; nil when the file cannot be read.
    public var updatedAt: Date?
    /// Why the file cannot be read (one line naming file and field), or nil.
    public var error: String?
    /// The model the preset was made for (path or name as given), when readable.
    public var model: String?

    /// Creates a summary from its parts.
    public init(
        name: String, file: URL, top1: Double? = nil, sizeBytes: Int? = nil, compressionRatio: Double? = nil,
        updatedAt: Date? = nil, error: String? = nil
    ) {
        self.name = name
        self.file = file
        self.top1 = top1
        self.sizeBytes = sizeBytes
        self.compressionRatio = compressionRatio
        self.updatedAt = updatedAt
        self.error = error
    }

    /// The summary of a readable preset.
    public init(_ preset: SessionPreset, file: URL) {
        self.init(
            name: preset.name, file: file, top1: preset.results?.top1, sizeBytes: preset.results?.sizeBytes,
            compressionRatio: preset.results?.compressionRatio, updatedAt: preset.updatedAt)
        model = preset.model.path
    }

    /// Whether the file could be read.
    public var isReadable: Bool { error == nil }

    /// Order for the list: readable presets newest first (ties by name), then unreadable ones by name.
    static func newestFirst(_ left: SessionSummary, _ right: SessionSummary) -> Bool {
        switch (left.updatedAt, right.updatedAt) {
        case let (leftDate?, rightDate?) where leftDate != rightDate: leftDate > rightDate
        case (.some, nil): true
        case (nil, .some): false
        default: left.name < right.name
        }
    }
}

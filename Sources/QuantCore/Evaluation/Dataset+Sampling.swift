extension Dataset {
    /// `count` samples spread evenly over the data set (indices `⌊i · N / count⌋`), so a
    /// class-sorted set still yields every class; the whole set when `count ≥ N`.
    ///
    /// Used to pick the calibration subset from the training split deterministically.
    public func evenlySpaced(_ count: Int) throws -> Dataset {
        guard count < self.count else { return self }
        let indices = (0..<max(count, 0)).map { $0 * self.count / count }
        return picking(indices, name: "\(name) (\(indices.count) evenly spaced)")
    }
}

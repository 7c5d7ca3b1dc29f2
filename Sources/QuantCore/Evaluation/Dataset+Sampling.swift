extension Dataset {
    /// `count` samples spread evenly over the data set (indices `⌊i · N / count⌋`), so a
    /// class-sorted set still yields every class; the whole set when `count ≥ N`.
    ///
    /// Used to pick the calibration subset from the training split deterministically.
    public func evenlySpaced(_ count: Int) throws -> Dataset {
        guard count < self.count else { return self }
        let sampleSize = sampleElementCount
        var storage = [Float]()
        storage.reserveCapacity(count * sampleSize)
        var chosenLabels = [Int]()
        chosenLabels.reserveCapacity(count)
        for i in 0..<max(count, 0) {
            let index = i * self.count / count
            let start = index * sampleSize
            storage.append(contentsOf: images.storage[start..<(start + sampleSize)])
            chosenLabels.append(labels[index])
        }
        let shape = [chosenLabels.count] + sampleShape
        return try Dataset(
            name: "\(name) (\(chosenLabels.count) evenly spaced)", images: Tensor(shape: shape, storage: storage),
            labels: chosenLabels, classCount: classCount)
    }
}

import Foundation

/// A dense, row-major (C order) array of `Float` values with a shape.
///
/// `Tensor` is a value type: copies share storage until one of them is mutated.
/// Shapes are written beside tensors in comments throughout the engine, e.g. `// [out, in]`.
public struct Tensor: Sendable, Equatable, CustomStringConvertible {
    /// The extent of each axis, outermost first. A scalar has shape `[]` and one element.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `storage.count == shape.product`.
    public var storage: [Float]

    /// Creates a tensor from a shape and matching storage.
    ///
    /// - Precondition: every extent is non-negative and `storage.count` equals their product.
    public init(shape: [Int], storage: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative extent in shape \(shape)")
        precondition(
            Tensor.elementCount(of: shape) == storage.count,
            "shape \(shape) needs \(Tensor.elementCount(of: shape)) elements, got \(storage.count)")
        self.shape = shape
        self.storage = storage
    }

    /// Creates a tensor of the given shape filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        self.init(shape: shape, storage: [Float](repeating: value, count: Tensor.elementCount(of: shape)))
    }

    /// Creates a rank-0 tensor holding one value.
    public init(scalar: Float) {
        self.init(shape: [], storage: [scalar])
    }

    /// A tensor of zeros with the given shape.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }

    /// The number of elements a tensor of `shape` holds (1 for a scalar).
    public static func elementCount(of shape: [Int]) -> Int { shape.reduce(1, *) }

    /// The number of elements.
    public var count: Int { storage.count }

    /// The number of axes.
    public var rank: Int { shape.count }

    /// Row-major strides in elements, e.g. `[C*H*W, H*W, W, 1]` for `[N, C, H, W]`.
    public var strides: [Int] { Tensor.strides(of: shape) }

    /// Row-major strides for `shape`.
    public static func strides(of shape: [Int]) -> [Int] {
        var result = [Int](repeating: 1, count: shape.count)
        var running = 1
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            result[axis] = running
            running *= shape[axis]
        }
        return result
    }

    /// The same elements viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, storage: storage)
    }

    /// The element at a multi-dimensional index (slow; for tests and reference code).
    public subscript(_ index: Int...) -> Float {
        get { storage[flatIndex(index)] }
        set { storage[flatIndex(index)] = newValue }
    }

    private func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) does not match shape \(shape)")
        var flat = 0
        for (axis, i) in index.enumerated() {
            precondition(i >= 0 && i < shape[axis], "index \(index) out of bounds for shape \(shape)")
            flat = flat * shape[axis] + i
        }
        return flat
    }

    /// Rows `range` of the outermost axis (e.g. a slice of a batch).
    public func slice(rows range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0])
        let rowSize = shape.dropFirst().reduce(1, *)
        var newShape = shape
        newShape[0] = range.count
        return Tensor(
            shape: newShape,
            storage: Array(storage[(range.lowerBound * rowSize)..<(range.upperBound * rowSize)]))
    }

    public var description: String {
        let preview = storage.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor(\(shape), [\(preview)\(count > 8 ? ", …" : "")])"
    }
}

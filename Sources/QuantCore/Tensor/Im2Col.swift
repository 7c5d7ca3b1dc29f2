import CKernels

/// Geometry of a 2-D sliding window (convolution or pooling) over one `[C, H, W]` image.
public struct ConvolutionGeometry: Sendable, Equatable {
    /// Input channels.
    public var channels: Int
    /// Input height and width.
    public var inputHeight: Int, inputWidth: Int
    /// Kernel height and width.
    public var kernelHeight: Int, kernelWidth: Int
    /// Strides along height and width.
    public var strideHeight: Int = 1, strideWidth: Int = 1
    /// Zero padding before (top, left) and after (bottom, right).
    public var padTop: Int = 0, padLeft: Int = 0, padBottom: Int = 0, padRight: Int = 0
    /// Dilations along height and width.
    public var dilationHeight: Int = 1, dilationWidth: Int = 1

    /// Creates a geometry; padding and dilation default to none, strides to 1.
    public init(
        channels: Int, inputHeight: Int, inputWidth: Int, kernelHeight: Int, kernelWidth: Int,
        strideHeight: Int = 1, strideWidth: Int = 1,
        padTop: Int = 0, padLeft: Int = 0, padBottom: Int = 0, padRight: Int = 0,
        dilationHeight: Int = 1, dilationWidth: Int = 1
    ) {
        self.channels = channels
        self.inputHeight = inputHeight
        self.inputWidth = inputWidth
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight
        self.strideWidth = strideWidth
        self.padTop = padTop
        self.padLeft = padLeft
        self.padBottom = padBottom
        self.padRight = padRight
        self.dilationHeight = dilationHeight
        self.dilationWidth = dilationWidth
    }

    /// Output height: `floor((H + padTop + padBottom − dilation·(kH − 1) − 1) / stride) + 1`.
    public var outputHeight: Int {
        (inputHeight + padTop + padBottom - dilationHeight * (kernelHeight - 1) - 1) / strideHeight + 1
    }

    /// Output width, as `outputHeight`.
    public var outputWidth: Int {
        (inputWidth + padLeft + padRight - dilationWidth * (kernelWidth - 1) - 1) / strideWidth + 1
    }

    /// Rows of the column matrix: `C · kH · kW`.
    public var columnRows: Int { channels * kernelHeight * kernelWidth }

    /// Columns of the column matrix: `outH · outW`.
    public var columnCount: Int { outputHeight * outputWidth }
}

/// im2col / col2im: unfold sliding windows into a matrix so convolution becomes one GEMM.
///
/// The column matrix is `[C · kH · kW, outH · outW]`, row index `(c · kH + i) · kW + j`, so a
/// Conv weight `[M, C, kH, kW]` read as `[M, C·kH·kW]` multiplies it directly.
public enum Im2Col {
    /// Unfolds one image `[C, H, W]` into `columns` `[C·kH·kW, outH·outW]`; padding reads 0.
    public static func unfold(
        _ image: UnsafePointer<Float>, geometry g: ConvolutionGeometry, into columns: UnsafeMutablePointer<Float>
    ) {
        let outH = g.outputHeight, outW = g.outputWidth
        var row = 0
        for c in 0..<g.channels {
            let plane = image + c * g.inputHeight * g.inputWidth
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let destination = columns + row * outH * outW
                    for oy in 0..<outH {
                        let y = oy * g.strideHeight - g.padTop + i * g.dilationHeight
                        let rowOut = destination + oy * outW
                        if y < 0 || y >= g.inputHeight {
                            rowOut.update(repeating: 0, count: outW)
                            continue
                        }
                        let rowIn = plane + y * g.inputWidth
                        for ox in 0..<outW {
                            let x = ox * g.strideWidth - g.padLeft + j * g.dilationWidth
                            rowOut[ox] = (x >= 0 && x < g.inputWidth) ? rowIn[x] : 0
                        }
                    }
                    row += 1
                }
            }
        }
    }

    /// The masks `multiplyUnfolded` needs for `geometry` (which taps read inside the image, per
    /// 32 output positions), or `nil` when the fused path does not apply to it (stride ≠ 1, or
    /// an output row narrower or wider than the input row).
    public static func fusedMasks(geometry g: ConvolutionGeometry) -> [UInt32]? {
        guard g.strideHeight == 1, g.strideWidth == 1, g.outputWidth == g.inputWidth, g.outputHeight > 0,
            g.outputWidth > 0, g.kernelHeight > 0, g.kernelWidth > 0
        else { return nil }
        let count = ck_conv_mask_count(g.kernelHeight, g.kernelWidth, g.outputHeight, g.outputWidth)
        return [UInt32](unsafeUninitializedCapacity: count) { buffer, initialized in
            ck_conv_masks(
                g.inputHeight, g.inputWidth, g.kernelHeight, g.kernelWidth, g.padTop, g.padLeft, g.dilationHeight,
                g.dilationWidth, g.outputHeight, g.outputWidth, buffer.baseAddress)
            initialized = count
        }
    }

    /// `C[m, outH·outW] += weights[m, C·kH·kW] · unfold(image)` without writing the column
    /// matrix: the unfolding is fused into the GEMM's packing (CKernels `ck_sgemm_conv`). Bit for
    /// bit what `unfoldFast` then `GEMM.multiply` give.
    ///
    /// - Parameters:
    ///   - masks: `fusedMasks(geometry:)` of the same geometry.
    ///   - rowStart: when given, `[m]` values row `i` of `C` starts from instead of its contents
    ///     (as `GEMM.multiply(…rowStart:clamp:…)`).
    ///   - clamp: bounds applied to every element of the result (a fused ReLU/Clip).
    ///   - addend: `[m, outH·outW]` added to every element before the clamp (a fused residual Add).
    /// - Returns: `false`, having done nothing, where the fused path does not run (the portable
    ///   GEMM variant on this thread, or a geometry `fusedMasks` refuses).
    public static func multiplyUnfolded(
        m: Int, weights: UnsafePointer<Float>, image: UnsafePointer<Float>, geometry g: ConvolutionGeometry,
        masks: [UInt32], rowStart: UnsafePointer<Float>? = nil, clamp: OutputClamp? = nil,
        addend: UnsafePointer<Float>? = nil, c: UnsafeMutablePointer<Float>
    ) -> Bool {
        guard masks.count == ck_conv_mask_count(g.kernelHeight, g.kernelWidth, g.outputHeight, g.outputWidth) else {
            return false
        }
        return masks.withUnsafeBufferPointer { bits in
            OutputClamp.withBounds(clamp) { bounds in
                ck_sgemm_conv(
                    m, weights, g.columnRows, image, g.channels, g.inputHeight, g.inputWidth, g.kernelHeight,
                    g.kernelWidth, g.strideHeight, g.strideWidth, g.padTop, g.padLeft, g.dilationHeight,
                    g.dilationWidth, g.outputHeight, g.outputWidth, bits.baseAddress, c, g.columnCount, rowStart,
                    bounds, addend) != 0
            }
        }
    }

    /// The fast path of `unfold` (CKernels `ck_im2col`): same result, no per-element overflow
    /// checks, contiguous runs for stride 1. `unfold` is its specification.
    public static func unfoldFast(
        _ image: UnsafePointer<Float>, geometry g: ConvolutionGeometry, into columns: UnsafeMutablePointer<Float>
    ) {
        ck_im2col(
            image, g.channels, g.inputHeight, g.inputWidth, g.kernelHeight, g.kernelWidth, g.strideHeight,
            g.strideWidth, g.padTop, g.padLeft, g.dilationHeight, g.dilationWidth, g.outputHeight, g.outputWidth,
            columns)
    }

    /// Folds `columns` `[C·kH·kW, outH·outW]` back, *adding* into `image` `[C, H, W]`
    /// (the adjoint of `unfold`, used for the input gradient of a convolution).
    public static func fold(
        _ columns: UnsafePointer<Float>, geometry g: ConvolutionGeometry, addingInto image: UnsafeMutablePointer<Float>
    ) {
        let outH = g.outputHeight, outW = g.outputWidth
        var row = 0
        for c in 0..<g.channels {
            let plane = image + c * g.inputHeight * g.inputWidth
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth {
                    let source = columns + row * outH * outW
                    for oy in 0..<outH {
                        let y = oy * g.strideHeight - g.padTop + i * g.dilationHeight
                        if y < 0 || y >= g.inputHeight { continue }
                        let rowIn = source + oy * outW
                        let rowOut = plane + y * g.inputWidth
                        for ox in 0..<outW {
                            let x = ox * g.strideWidth - g.padLeft + j * g.dilationWidth
                            if x >= 0 && x < g.inputWidth { rowOut[x] += rowIn[ox] }
                        }
                    }
                    row += 1
                }
            }
        }
    }
}

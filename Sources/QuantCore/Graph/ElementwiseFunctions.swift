import Foundation

// The tables of the element-wise and reducing operator families: each ONNX operator of a family
// is one case, and everything the engine knows of it (its ONNX name, its function, whether it
// yields booleans) is in that case's rows here. The reader finds a family member by its ONNX
// name (`init(rawValue:)`), the executor calls `apply`, the writer writes `rawValue`.
//
// Integer and boolean tensors: the engine holds every value as `Float`. Integers are exact up
// to 2^24 (indices, shapes, token ids and masks stay far below); booleans are 0 (false) and
// 1 (true). Operators that take booleans read any non-zero value as true.

/// Element-wise functions of one operand (`Operator.unary`).
public enum UnaryFunction: String, Sendable, Equatable, CaseIterable {
    case abs = "Abs"
    case neg = "Neg"
    case sqrt = "Sqrt"
    case exp = "Exp"
    case log = "Log"
    case reciprocal = "Reciprocal"
    case erf = "Erf"
    case floor = "Floor"
    case ceil = "Ceil"
    /// Rounds half to even, as ONNX `Round`.
    case round = "Round"
    case sign = "Sign"
    case sin = "Sin"
    case cos = "Cos"
    case tan = "Tan"
    case atan = "Atan"
    case softsign = "Softsign"
    /// Logical negation: 1 where the operand is 0, else 0.
    case not = "Not"
    /// 1 where the operand is NaN, else 0.
    case isNaN = "IsNaN"
    /// 1 where the operand is ±infinity, else 0 (ONNX defaults: both signs detected).
    case isInf = "IsInf"

    /// The function's value at `x`.
    @inline(__always)
    public func apply(_ x: Float) -> Float {
        switch self {
        case .abs: Swift.abs(x)
        case .neg: -x
        case .sqrt: x.squareRoot()
        case .exp: Foundation.exp(x)
        case .log: Foundation.log(x)
        case .reciprocal: 1 / x
        case .erf: Foundation.erf(x)
        case .floor: x.rounded(.down)
        case .ceil: x.rounded(.up)
        case .round: x.rounded(.toNearestOrEven)
        case .sign: x > 0 ? 1 : (x < 0 ? -1 : (x.isNaN ? x : 0))
        case .sin: Foundation.sin(x)
        case .cos: Foundation.cos(x)
        case .tan: Foundation.tan(x)
        case .atan: Foundation.atan(x)
        case .softsign: x / (1 + Swift.abs(x))
        case .not: x == 0 ? 1 : 0
        case .isNaN: x.isNaN ? 1 : 0
        case .isInf: x.isInfinite ? 1 : 0
        }
    }

    /// The element type of the result for an operand of type `input`.
    public func resultType(_ input: ElementType) -> ElementType {
        switch self {
        case .not, .isNaN, .isInf: .bool
        default: input
        }
    }
}

/// Element-wise functions of two operands with NumPy broadcasting (`Operator.binary`).
public enum BinaryElementwise: String, Sendable, Equatable, CaseIterable {
    case pow = "Pow"
    case equal = "Equal"
    case less = "Less"
    case lessOrEqual = "LessOrEqual"
    case greater = "Greater"
    case greaterOrEqual = "GreaterOrEqual"
    case and = "And"
    case or = "Or"
    case xor = "Xor"
    /// ONNX `Mod` with `fmod = 0`: the remainder has the sign of the divisor (Python's `%`).
    case mod = "Mod"
    /// ONNX `Mod` with `fmod = 1`: C `fmod`, the remainder has the sign of the dividend.
    case fmod = "Mod(fmod)"

    /// The ONNX operator type.
    public var onnxName: String { self == .fmod ? "Mod" : rawValue }

    /// The function's value at `(a, b)`.
    @inline(__always)
    public func apply(_ a: Float, _ b: Float) -> Float {
        switch self {
        case .pow: Foundation.pow(a, b)
        case .equal: a == b ? 1 : 0
        case .less: a < b ? 1 : 0
        case .lessOrEqual: a <= b ? 1 : 0
        case .greater: a > b ? 1 : 0
        case .greaterOrEqual: a >= b ? 1 : 0
        case .and: a != 0 && b != 0 ? 1 : 0
        case .or: a != 0 || b != 0 ? 1 : 0
        case .xor: (a != 0) != (b != 0) ? 1 : 0
        case .mod:
            b == 0 ? a : a - b * (a / b).rounded(.down)
        case .fmod: Foundation.fmod(a, b)
        }
    }

    /// The element type of the result for a first operand of type `input`.
    public func resultType(_ input: ElementType) -> ElementType {
        switch self {
        case .pow, .mod, .fmod: input
        default: .bool
        }
    }
}

/// Element-wise folds of one or more operands with NumPy broadcasting (`Operator.variadic`).
public enum VariadicElementwise: String, Sendable, Equatable, CaseIterable {
    case sum = "Sum"
    case min = "Min"
    case max = "Max"
    case mean = "Mean"

    /// Combines the running value with the next operand's (Mean sums, then divides).
    @inline(__always)
    public func combine(_ accumulated: Float, _ next: Float) -> Float {
        switch self {
        case .sum, .mean: accumulated + next
        // NaN propagates, as ONNX Min/Max (and NumPy's minimum/maximum) do.
        case .min: accumulated.isNaN || next.isNaN ? .nan : Swift.min(accumulated, next)
        case .max: accumulated.isNaN || next.isNaN ? .nan : Swift.max(accumulated, next)
        }
    }
}

/// Reductions over axes (`Operator.reduce`); ReduceMean keeps its own case (`Operator.reduceMean`).
public enum Reduction: String, Sendable, Equatable, CaseIterable {
    case sum = "ReduceSum"
    case sumSquare = "ReduceSumSquare"
    case l1 = "ReduceL1"
    case l2 = "ReduceL2"
    case max = "ReduceMax"
    case min = "ReduceMin"
    case prod = "ReduceProd"
    case logSum = "ReduceLogSum"
    case logSumExp = "ReduceLogSumExp"

    /// The first opset whose version of the operator takes `axes` as input 1 (13 for ReduceSum,
    /// 18 for the others); earlier versions take an attribute.
    public var axesInputOpset: Int { self == .sum ? 13 : 18 }

    /// The value of an empty reduction.
    var identity: Double {
        switch self {
        case .max: -.infinity
        case .min: .infinity
        case .prod: 1
        default: 0
        }
    }

    /// Adds `x` to the running value (in `Double`).
    @inline(__always)
    func accumulate(_ running: Double, _ x: Double) -> Double {
        switch self {
        case .sum, .logSum: running + x
        case .sumSquare, .l2: running + x * x
        case .l1: running + Swift.abs(x)
        case .max: x.isNaN || running.isNaN ? .nan : Swift.max(running, x)
        case .min: x.isNaN || running.isNaN ? .nan : Swift.min(running, x)
        case .prod: running * x
        case .logSumExp: running + Foundation.exp(x)
        }
    }

    /// The result from the running value.
    @inline(__always)
    func finish(_ running: Double) -> Double {
        switch self {
        case .l2: running.squareRoot()
        case .logSum, .logSumExp: Foundation.log(running)
        default: running
        }
    }
}

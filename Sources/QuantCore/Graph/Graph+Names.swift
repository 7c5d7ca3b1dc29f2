extension Graph {
    /// `base`, or `base_2`, `base_3`, …: the first name not in `used`, which is then added to it.
    ///
    /// Writers and exporters that add nodes or values use it so no name is ever produced twice.
    static func freshName(_ base: String, avoiding used: inout Set<String>) -> String {
        var candidate = base
        var suffix = 2
        while used.contains(candidate) {
            candidate = "\(base)_\(suffix)"
            suffix += 1
        }
        used.insert(candidate)
        return candidate
    }
}

/// A table of plain-text columns that fits a terminal's width (80 columns unless told otherwise):
/// columns are as wide as their widest cell, and when the whole is too wide the flexible columns
/// (names, queues) give up width first, their cells cut with "…". Numbers align right.
///
/// Colour is applied after padding, so escape codes never count against a column's width.
struct TextTable {
    struct Column {
        var title: String
        var alignRight = false
        /// May be narrowed, down to `minimumWidth`, to fit the line.
        var flexible = false
        var minimumWidth = 4

        init(_ title: String, alignRight: Bool = false, flexible: Bool = false, minimumWidth: Int = 4) {
            self.title = title
            self.alignRight = alignRight
            self.flexible = flexible
            self.minimumWidth = minimumWidth
        }
    }

    struct Cell: ExpressibleByStringLiteral {
        var text: String
        var color: TerminalStyle.Color?

        init(_ text: String, _ color: TerminalStyle.Color? = nil) {
            self.text = text
            self.color = color
        }

        init(stringLiteral value: String) {
            self.init(value)
        }
    }

    var columns: [Column]
    var rows: [[Cell]] = []
    /// Put before every line (an indent under a heading).
    var indent = ""
    /// Between two columns.
    var gap = "  "

    init(_ columns: [Column], indent: String = "") {
        self.columns = columns
        self.indent = indent
    }

    mutating func append(_ row: [Cell]) {
        rows.append(row)
    }

    /// The column widths for `width` columns of output.
    func widths(fitting width: Int) -> [Int] {
        var widths = columns.indices.map { index in
            rows.reduce(columns[index].title.count) { max($0, $1.indices.contains(index) ? $1[index].text.count : 0) }
        }
        let fixed = indent.count + gap.count * max(0, columns.count - 1)
        var excess = fixed + widths.reduce(0, +) - width
        // Take from the widest flexible column first, one character at a time, so two long
        // columns end up sharing the room fairly.
        while excess > 0 {
            let candidates = columns.indices.filter { columns[$0].flexible && widths[$0] > columns[$0].minimumWidth }
            guard let widest = candidates.max(by: { widths[$0] < widths[$1] }) else { break }
            widths[widest] -= 1
            excess -= 1
        }
        return widths
    }

    /// The table as lines without trailing spaces.
    func render(width: Int = 80, style: TerminalStyle = TerminalStyle(colors: false)) -> String {
        let widths = widths(fitting: width)
        func line(_ cells: [Cell]) -> String {
            var parts: [String] = []
            for (index, column) in columns.enumerated() {
                let cell = cells.indices.contains(index) ? cells[index] : Cell("")
                let text = Self.fit(cell.text, widths[index])
                let pad = String(repeating: " ", count: widths[index] - text.count)
                let last = index == columns.count - 1
                let padded = column.alignRight ? pad + style.paint(text, cell.color)
                                               : style.paint(text, cell.color) + (last ? "" : pad)
                parts.append(padded)
            }
            let joined = indent + parts.joined(separator: gap)
            return String(joined.reversed().drop { $0 == " " }.reversed())
        }
        let header = line(columns.map { Cell($0.title, .bold) })
        return ([header] + rows.map(line)).joined(separator: "\n")
    }

    /// `text` cut to `width` characters, its last one an ellipsis when cut.
    static func fit(_ text: String, _ width: Int) -> String {
        guard text.count > width else { return text }
        guard width > 1 else { return String(text.prefix(width)) }
        return String(text.prefix(width - 1)) + "…"
    }
}

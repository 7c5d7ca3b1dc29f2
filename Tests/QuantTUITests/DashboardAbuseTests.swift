import Foundation
import QuantCore
import QuantTestSupport
import Testing

@testable import QuantTUI

/// The dashboard under random input without a terminal: seeded keys, mouse events and resizes
/// (including sizes tmux cannot make: 0×0, 1×1, 1000 columns) through the real app, saving and
/// exporting into a temporary folder. Every frame must be drawn without trapping, every answer
/// must leave a consistent state, and the help must still open at the end.
/// (`Scripts/abuse_dashboard.py` does the same through tmux and ncurses.)
@Suite struct DashboardAbuseTests {
    /// Keeps exports inside the test's folder: typed paths never contain "/", so the last
    /// component is the whole path.
    final class ConfinedPersistence: ForwardingPersistence {
        let folder: URL
        init(_ real: SessionPersistence, folder: URL) {
            self.folder = folder
            super.init(real)
        }
        override func export(_ format: ExportFormat, path: String, overwrite: Bool, state: AppState) throws -> String {
            let confined = folder.appendingPathComponent((path as NSString).lastPathComponent).path
            return try real.export(format, path: confined, overwrite: overwrite, state: state)
        }
    }

    static let namedKeys: [Key] =
        [
            .up, .down, .left, .right, .pageUp, .pageDown, .home, .end, .enter, .escape, .tab, .backTab,
            .backspace, .delete,
        ] + (1...12).map { Key.function($0) }
    static let boundCharacters = Array("?kj+=-_12345678sgafu* r][}{tplwoeyn")
    static let sizes = [
        Size(width: 0, height: 0), Size(width: 1, height: 1), Size(width: 10, height: 5), Size(width: 79, height: 23),
        Size(width: 80, height: 24), Size(width: 1000, height: 3), Size(width: 3, height: 300),
        Size(width: 250, height: 80),
    ]

    static func randomKey(_ random: inout SeededRandom) -> Key {
        let choice = random.nextUnit()
        if choice < 0.4 {
            return .character(boundCharacters[random.next(in: 0...(boundCharacters.count - 1))])
        } else if choice < 0.7 {
            let scalar = Unicode.Scalar(UInt8(random.next(in: 0x20...0x7E)))
            return .character(scalar == "/" || scalar == "q" ? "x" : Character(scalar))
        } else if choice < 0.9 {
            return namedKeys[random.next(in: 0...(namedKeys.count - 1))]
        }
        let letter = Unicode.Scalar(UInt8(random.next(in: 0x61...0x7A)))
        return letter == "c" ? .control("x") : .control(Character(letter))
    }

    @Test(arguments: [UInt64(1), 2])
    func randomInputNeverBreaksTheDashboard(seed: UInt64) throws {
        let folder = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (probe, _) = try DashboardAppTests.app(folder: folder)
        let real = SessionPersistence(
            store: SessionStore(folder: folder), model: try .bundled(.mlp), data: try .demoHeldOut(),
            workbench: probe.workbench)
        let backend = RecordingBackend(size: Size(width: 120, height: 40))
        let app = DashboardApp(
            workbench: probe.workbench, backend: backend, state: probe.state,
            persistence: ConfinedPersistence(real, folder: folder))
        app.start()
        var random = SeededRandom(seed: seed)
        var resizes = 0
        for step in 0..<1500 {
            let choice = random.nextUnit()
            if choice < 0.03 {
                backend.size =
                    random.nextUnit() < 0.5
                    ? Self.sizes[random.next(in: 0...(Self.sizes.count - 1))]
                    : Size(width: random.next(in: 0...300), height: random.next(in: 0...100))
                app.handle(.resize(backend.size))
                resizes += 1
            } else if choice < 0.06 {
                let kinds: [MouseEvent.Kind] = [.press, .scrollUp, .scrollDown]
                let mouse = MouseEvent(
                    kind: kinds[random.next(in: 0...2)], column: random.next(in: 0...400), row: random.next(in: 0...120)
                )
                app.handle(.mouse(mouse))
            } else {
                app.handle(.key(Self.randomKey(&random)))
            }
            // Quitting is the tmux script's business; here the dashboard must keep running.
            #expect(!app.state.shouldQuit, "step \(step)")
            if app.state.overlay == .confirm(.quitWithUnsavedChanges)
                || app.state.overlay == .confirm(.quitWhileFinetuning)
            {
                app.handle(.key(.escape))
            }
            #expect(app.state.layers.isEmpty || app.state.layers.indices.contains(app.state.selectedIndex))
            #expect(app.state.scrollOffset >= 0)
            if step % 50 == 0 { app.settle() }
            app.render()
        }
        #expect(resizes > 20)
        app.settle()
        backend.size = Size(width: 120, height: 40)
        app.handle(.resize(backend.size))
        for _ in 0..<3 { app.handle(.key(.escape)) }
        app.handle(.key(.character("?")))
        app.render()
        #expect(backend.screen.lines.joined().contains("Esc/? closes"))
        let stray = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.currentDirectoryPath)
            .filter { $0.hasPrefix("quantdash-") }
        #expect(stray.isEmpty, "exports escaped the test folder: \(stray)")
    }
}

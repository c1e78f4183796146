@testable import DroverSystem
import Glibc
import Testing

extension SystemTests {
    /// ``CleanFilePages`` over real mappings of a real file, checked with `/proc/self/pagemap`.
    @Suite struct CleanFilePagesTests {
        let pageSize = ProcessStats.pageSize

        /// Whether each page of a mapping is resident (pagemap bit 63).
        func residentPages(_ base: UnsafeRawPointer, count: Int) throws -> [Bool] {
            let fd = open("/proc/self/pagemap", O_RDONLY)
            try #require(fd >= 0)
            defer { close(fd) }
            var entries = [UInt64](repeating: 0, count: count)
            let read = entries.withUnsafeMutableBytes { buffer in
                pread(fd, buffer.baseAddress, buffer.count, off_t(Int(bitPattern: base) / pageSize * 8))
            }
            try #require(read == count * 8)
            return entries.map { $0 & (1 << 63) != 0 }
        }

        @Test func cleanReadOnlyPagesGoWhileCopiedAndWritablePagesStay() throws {
            let pages = 8
            let size = pages * pageSize
            let path = "/tmp/drover-startup-pages-\(getpid())"
            let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o600)
            try #require(fd >= 0)
            defer { close(fd); unlink(path) }
            // Page i holds the byte i + 1, so a refault shows where its bytes came from.
            let bytes = (0..<size).map { UInt8($0 / pageSize + 1) }
            try #require(bytes.withUnsafeBytes { write(fd, $0.baseAddress, size) } == size)

            let readOnly = try #require(mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0))
            try #require(readOnly != MAP_FAILED)
            let writable = try #require(mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0))
            try #require(writable != MAP_FAILED)
            defer { munmap(readOnly, size); munmap(writable, size) }
            var sum = 0
            for page in 0..<pages {
                sum += Int(readOnly.load(fromByteOffset: page * pageSize, as: UInt8.self))
                sum += Int(writable.load(fromByteOffset: page * pageSize, as: UInt8.self))
            }
            #expect(sum == 2 * (1...pages).reduce(0, +))
            // Page 2 written once and made read-only again, like relocated RELRO data: its bytes
            // now exist only in this process.
            try #require(mprotect(readOnly + 2 * pageSize, pageSize, PROT_READ | PROT_WRITE) == 0)
            readOnly.storeBytes(of: 0xAB, toByteOffset: 2 * pageSize, as: UInt8.self)
            try #require(mprotect(readOnly + 2 * pageSize, pageSize, PROT_READ) == 0)
            writable.storeBytes(of: 0xCD, toByteOffset: 0, as: UInt8.self)
            #expect(try residentPages(readOnly, count: pages).allSatisfy { $0 })

            // Only this test's file: other tests' threads may be mapping and unmapping meanwhile,
            // which a release of every mapping must not race (its precondition).
            let release = try CleanFilePages.release { $0 == path }

            // The mprotect round trip split the read-only mapping in three (pages 0–1, 2, 3–7).
            #expect(release == .init(mappings: 3, droppedPages: pages - 1, keptPages: 1))
            let resident = try residentPages(readOnly, count: pages)
            #expect(resident == (0..<pages).map { $0 == 2 }, "only the copied page stays")
            #expect(readOnly.load(fromByteOffset: 2 * pageSize, as: UInt8.self) == 0xAB, "the write survives")
            #expect(readOnly.load(fromByteOffset: 3 * pageSize, as: UInt8.self) == 4, "a dropped page refaults from the file")
            #expect(try residentPages(writable, count: pages).allSatisfy { $0 }, "a writable mapping is left alone")
            #expect(writable.load(fromByteOffset: 0, as: UInt8.self) == 0xCD)
        }

        @Test func pagemapEntriesDropOnlyResidentFilePages() {
            let present: UInt64 = 1 << 63, swapped: UInt64 = 1 << 62, file: UInt64 = 1 << 61
            #expect(CleanFilePages.PageEntry(present | file | 0x1234) == .residentFile)
            #expect(CleanFilePages.PageEntry(present | 0x1234) == .mustStay, "anonymous: copied on write")
            #expect(CleanFilePages.PageEntry(swapped | 0x55) == .mustStay)
            #expect(CleanFilePages.PageEntry(swapped | file) == .mustStay)
            #expect(CleanFilePages.PageEntry(0) == .notResident, "a pagemap that says nothing drops nothing")
            #expect(CleanFilePages.PageEntry(file) == .notResident)
        }

        @Test func mapsLinesParseAndOnlyReadOnlyPrivateFilesQualify() throws {
            func mapping(_ line: Substring) -> CleanFilePages.Mapping? { CleanFilePages.Mapping(line) }
            let text = try #require(mapping("7f10a000-7f10c000 r-xp 00001000 fe:01 1234    /usr/lib/a b (deleted)"))
            #expect(text.start == 0x7f10a000 && text.end == 0x7f10c000)
            #expect(text.path == "/usr/lib/a b (deleted)")
            #expect(text.isReadOnlyPrivateFile)
            #expect(mapping("7f10a000-7f10c000 r--p 00000000 fe:01 1234 /usr/lib/libx.so")?.isReadOnlyPrivateFile == true)
            #expect(mapping("7f10a000-7f10c000 rw-p 00000000 fe:01 1234 /usr/lib/libx.so")?.isReadOnlyPrivateFile == false)
            #expect(mapping("7f10a000-7f10c000 r--s 00000000 00:05 99 /SYSV00000000 (deleted)")?.isReadOnlyPrivateFile == false)
            #expect(mapping("7f10a000-7f10c000 r--p 00000000 00:05 7 /dev/some-driver")?.isReadOnlyPrivateFile == false)
            #expect(mapping("7ffd1000-7ffd3000 r-xp 00000000 00:00 0 [vdso]")?.isReadOnlyPrivateFile == false)
            #expect(mapping("7f10a000-7f10c000 rw-p 00000000 00:00 0") == nil, "anonymous: no path")
            #expect(mapping("ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0 [vsyscall]")?.isReadOnlyPrivateFile != true)
        }
    }
}

import Testing

@testable import hh_auth

/// `/etc/hh-auth/env` as systemd's `EnvironmentFile=` reads it: the subset ``EnvironmentFile``
/// accepts, and a refusal, with the line's number and without its text, for the rest.
@Suite("Environment file")
struct EnvironmentFileTests {
    private func problem(_ text: String) -> EnvironmentFile.Problem? {
        do {
            _ = try EnvironmentFile.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func keyValueLinesCommentsAndBlankLines() throws {
        let text = """
            # hh-auth settings
            ; also a comment

            HH_CLIENT_ID=client-1
              DATABASE_PATH = /var/lib/hh-auth/hh-auth.sqlite3\t
            EMPTY=
            HH_USER_AGENT=hh-auth/1.0 (admin@example.com) # not a comment
            ADMIN_USERNAME=admin
            ADMIN_USERNAME=operator
            """
        #expect(
            try EnvironmentFile.parse(text) == [
                "HH_CLIENT_ID": "client-1", "DATABASE_PATH": "/var/lib/hh-auth/hh-auth.sqlite3", "EMPTY": "",
                "HH_USER_AGENT": "hh-auth/1.0 (admin@example.com) # not a comment", "ADMIN_USERNAME": "operator",
            ])
    }

    @Test func quotesAndBackslashesAsSystemdReadsThem() throws {
        let text = #"""
            SINGLE='a "b" \n $c '
            DOUBLE="a \"b\" \\ \$c \` \n"   
            PLAIN=a\ b\\c\"d
            KEPT=x\ \ 
            INNER=a  b	 
            HASH=$6$salt$hash/with.dots
            UTF8="Иван 🚀"
            """#
        #expect(
            try EnvironmentFile.parse(text) == [
                "SINGLE": #"a "b" \n $c "#, "DOUBLE": #"a "b" \ $c ` \n"#, "PLAIN": #"a b\c"d"#, "KEPT": "x  ",
                "INNER": "a  b",
                "HASH": "$6$salt$hash/with.dots", "UTF8": "Иван 🚀",
            ])
    }

    /// An escaped blank is what ends such a comment (`\\ `), as for systemd: the next line is read.
    @Test func aCommentEndingInAnEscapedBlankEndsAtTheLine() throws {
        #expect(try EnvironmentFile.parse("# note \\ \nA=1\n") == ["A": "1"])
    }

    @Test func crlfAndCRAreLineEnds() throws {
        #expect(try EnvironmentFile.parse("A=1\r\nB=2\rC=3\n") == ["A": "1", "B": "2", "C": "3"])
    }

    @Test(arguments: [
        ("A=1\njust words\n", 2, "expected KEY=VALUE"),
        ("export A=1\n", 1, "the name before = must be letters, digits and _"),
        ("1A=1\n", 1, "the name before = must be letters, digits and _"),
        ("=1\n", 1, "the name before = must be letters, digits and _"),
        ("A-B=1\n", 1, "the name before = must be letters, digits and _"),
        ("\n\nA='open\n", 3, "a ' is not closed"),
        ("A=\"open\nB=1\"\n", 1, "a \" is not closed (values over several lines are not supported)"),
        ("A=\"x\"y\n", 1, "text after the closing quote"),
        ("A=x\\\nB=1\n", 1, "a \\ ends the line (values over several lines are not supported)"),
        // systemd before 254 (Debian 12 has 252) continues a comment too: it would not read line 2.
        (
            "# note \\\nDATABASE_PATH=/x\n", 1,
            "a \\ ends the comment (systemd before 254 reads the next line as part of it)"
        ),
        ("A=1\n  ; note\\\r\nB=2\n", 2, "a \\ ends the comment (systemd before 254 reads the next line as part of it)"),
        // systemd keeps a byte order mark in the first name, which makes it invalid: that setting is dropped.
        (
            "\u{FEFF}DATABASE_PATH=/x\n", 1,
            "the file starts with a byte order mark (systemd reads it as part of the first name)"
        ),
    ])
    func whatSystemdWouldReadDifferentlyIsRefusedWithItsLine(text: String, line: Int, reason: String) {
        #expect(problem(text) == EnvironmentFile.Problem(line: line, reason: reason))
    }

    @Test func aRefusalNeverQuotesTheLine() {
        let secret = "s3cr3t-value-nobody-may-see"
        for text in ["\(secret)\n", "A='\(secret)\n", "A=\"\(secret)\"\(secret)\n", "\(secret)-X=1\n"] {
            let refusal = problem(text)
            #expect(refusal != nil)
            #expect(refusal.map { !$0.reason.contains(secret) } == true)
        }
    }
}

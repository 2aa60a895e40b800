import Foundation
import HTTPCore

/// The account page of a signed-in browser: who they are, their sessions with an "end" button
/// each, and "sign out everywhere". The buttons call `DELETE /auth/sessions…` from
/// /static/account.js (the page's CSP allows scripts and requests to this origin only).
enum AccountPage {
    static func response(identity: SessionIdentity, sessions: [Session]) -> HTTPResponse {
        var response = HTTPResponse.html(html(identity: identity, sessions: sessions))
        response.headers.removeAll { $0.name == "Content-Security-Policy" }
        response.headers.append(
            HTTPHeader(
                "Content-Security-Policy",
                "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; "
                    + "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"))
        return response
    }

    static func html(identity: SessionIdentity, sessions: [Session]) -> String {
        let rows = sessions.map { session in
            let kind =
                session.kind == .browser
                ? "Браузер <span class=\"en\">Browser</span>" : "Программа <span class=\"en\">Program</span>"
            let current = session.handle == identity.sessionHandle ? " <strong>(этот / this one)</strong>" : ""
            return """
                <li class="session"><span>\(kind)\(current)<br><small>\(Pages.escape(session.handle)) · \
                \(Self.day(session.createdAt)) → \(Self.day(session.expiresAt))</small></span> \
                <button class="button secondary" type="button" data-end-session="\(Pages.escape(session.handle))">Завершить <span class="en">End</span></button></li>
                """
        }.joined(separator: "\n")
        let name = identity.fullName.map { Pages.escape($0) } ?? ""
        return Pages.layout(
            title: "Аккаунт · HH Auth", cardClass: "card",
            body: """
                <div class="logo" aria-hidden="true">hh</div>
                <h1>\(name.isEmpty ? "Аккаунт" : name)</h1>
                <span class="en">Account · HH id \(Pages.escape(identity.hhUserID))</span>
                <p>Ваши сеансы <span class="en">Your sessions</span></p>
                <ul class="sessions">
                \(rows)
                </ul>
                <div class="actions">
                  <button id="end-all" class="button" type="button">Выйти везде <span class="en">Sign out everywhere</span></button>
                  <a class="button secondary" href="/auth/sign_out">Выйти <span class="en">Sign out</span></a>
                </div>
                <script src="/static/account.js"></script>
                """)
    }

    /// The question a sign-out started by another site gets: a button that posts it from here.
    static func confirmSignOut(returnTarget: String?) -> HTTPResponse {
        let action = "/auth/sign_out" + (returnTarget.map { "?rd=" + QueryParameters.encode($0) } ?? "")
        return .html(
            Pages.layout(
                title: "Выйти? · HH Auth", cardClass: "card",
                body: """
                    <div class="logo" aria-hidden="true">hh</div>
                    <h1>Выйти?</h1>
                    <span class="en">Sign out?</span>
                    <form method="post" action="\(Pages.escape(action))" class="actions">
                      <button class="button" type="submit">Выйти <span class="en">Sign out</span></button>
                      <a class="button secondary" href="/">Остаться <span class="en">Stay signed in</span></a>
                    </form>
                    """))
    }

    /// `2026-12-01`: the date part of the RFC 3339 text the JSON answers use.
    private static func day(_ date: Date) -> String {
        String(JSONText.timestamp(unixSeconds: JSONText.wholeSeconds(date.timeIntervalSince1970)).prefix(10))
    }
}

/// The HTML pages the service renders itself (the static ones are nginx's). They use the same
/// stylesheet as the login page and load nothing from elsewhere.
enum Pages {
    static func wantsHTML(_ request: HTTPRequest) -> Bool {
        request.header("accept")?.contains("text/html") ?? false
    }

    static func success(exchangeCode: String, name: String) -> String {
        layout(
            title: "Вход выполнен — hh-auth",
            body: """
                <h1>Вход выполнен</h1>
                <p class="muted">Signed in\(name.isEmpty ? "" : " as <strong>\(escape(name))</strong>").</p>
                <p>Ваш одноразовый код обмена. Передайте его приложению в течение нескольких минут.</p>
                <p class="muted">Your one-time exchange code. Give it to your application within a few minutes.</p>
                <input id="exchange-code" class="code" type="text" readonly value="\(escape(exchangeCode))" aria-label="Exchange code">
                <button id="copy-button" class="button" type="button" data-copy-target="exchange-code">Копировать / Copy</button>
                <script src="/static/copy.js"></script>
                """)
    }

    static func failure(_ error: HTTPError) -> String {
        let title: String
        switch error.status {
        case 403: title = "Доступ запрещён"
        case 502, 503: title = "HeadHunter недоступен"
        default: title = "Вход не выполнен"
        }
        return layout(
            title: "\(title) — hh-auth",
            body: """
                <h1 class="error">\(title)</h1>
                <p>\(escape(error.detail))</p>
                <p><a class="button" href="/">Попробовать снова / Try again</a></p>
                """)
    }

    private static func layout(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="ru">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <link rel="stylesheet" href="/static/style.css">
        </head>
        <body>
        <main class="card">
        \(body)
        </main>
        </body>
        </html>
        """
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}

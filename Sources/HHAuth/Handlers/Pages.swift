import HTTPCore

/// The HTML pages the service renders itself (the static ones are nginx's). They use the same
/// stylesheet and vocabulary as the login page and load nothing from elsewhere.
enum Pages {
    static func wantsHTML(_ request: HTTPRequest) -> Bool {
        request.header("accept")?.contains("text/html") ?? false
    }

    static func success(exchangeCode: String, name: String) -> String {
        let greeting = name.isEmpty ? "" : "<p class=\"lead\">\(escape(name))</p>"
        return layout(
            title: "Вход выполнен · HH Auth", cardClass: "card success",
            body: """
                <div class="logo" aria-hidden="true">hh</div>
                <h1>Вход выполнен</h1>
                <span class="en">Signed in</span>
                \(greeting)
                <p>Ваш одноразовый код обмена. Передайте его приложению в течение нескольких минут.</p>
                <span class="en">Your one-time exchange code. Give it to your application within a few minutes.</span>
                <input id="exchange-code" class="code" type="text" readonly value="\(escape(exchangeCode))" aria-label="Exchange code">
                <div class="actions">
                  <button id="copy-button" class="button" type="button" data-copy-target="exchange-code">Копировать <span class="en">Copy</span></button>
                </div>
                <script src="/static/copy.js"></script>
                """)
    }

    static func failure(_ error: HTTPError) -> String {
        let (russian, english): (String, String)
        switch error.status {
        case 403: (russian, english) = ("Доступ запрещён", "Access denied")
        case 502, 503: (russian, english) = ("HeadHunter недоступен", "HeadHunter is unavailable")
        default: (russian, english) = ("Вход не выполнен", "Sign-in failed")
        }
        return layout(
            title: "\(russian) · HH Auth", cardClass: "card error",
            body: """
                <div class="status">\(error.status)</div>
                <h1>\(russian)</h1>
                <span class="en">\(english)</span>
                <p class="lead">\(escape(error.detail))</p>
                <div class="actions">
                  <a class="button secondary" href="/">Попробовать снова <span class="en">Try again</span></a>
                </div>
                """)
    }

    static func layout(title: String, cardClass: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="ru">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="robots" content="noindex">
        <title>\(escape(title))</title>
        <link rel="stylesheet" href="/static/style.css">
        </head>
        <body>
        <main class="\(cardClass)">
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

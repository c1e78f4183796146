enum DashboardPage {
    static let html = "<!doctype html><title>Drover</title>"
}

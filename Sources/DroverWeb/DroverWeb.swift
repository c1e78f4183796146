/// The HTTP side (issue 7): JSON API, dashboard and Prometheus metrics.
public enum DroverWeb {}

/// The scheduler (issue 5): promotes delayed jobs on time, fires periodic jobs once per tick,
/// sweeps expired records and recovers jobs whose lease expired.
public enum DroverScheduler {}

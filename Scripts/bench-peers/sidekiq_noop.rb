# Scripts/bench's `peers` section, Sidekiq's side: the no-op job, loaded by
# `sidekiq -r THIS_FILE -q QUEUE -c 2`, and (run as a script) its bulk enqueue:
# `ruby sidekiq_noop.rb QUEUE N` (Sidekiq::Client.push_bulk, 1,000 jobs a call).
# Redis comes from REDIS_URL (Sidekiq's default). Per-job log lines are off (warn level), as
# for the other workers the bench runs.
require "sidekiq"

Sidekiq.logger.level = Logger::WARN

class NoopJob
  include Sidekiq::Worker

  def perform; end
end

if $PROGRAM_NAME == __FILE__
  queue, count = ARGV[0], Integer(ARGV[1])
  count.times.each_slice(1000) do |slice|
    Sidekiq::Client.push_bulk("class" => NoopJob, "queue" => queue, "args" => Array.new(slice.size) { [] })
  end
end

@_spi(Testing) import Sluice
import SluiceClient
import SluiceGroups

/// A pipeline instance on `backend` with one stream thread, subscribed and stepped until every
/// group in `owning` owns its partitions: the start of tests that step an instance by hand.
func steppedInstance(
    _ pipeline: Pipeline, on backend: EmbeddedBackend, directory: String, owning: [String: [TopicPartition]]
) throws -> PipelineInstance {
    var options = RunOptions()
    options.dataDirectory = directory
    options.progress = false
    options.threads = 1
    let instance = try PipelineInstance(pipeline: pipeline, backend: backend, options: options)
    try instance.subscribe()
    for _ in 0..<300 where !owning.allSatisfy({ group, partitions in instance.assignment(of: group).isSuperset(of: partitions) }) {
        try instance.step(pollTimeoutMs: 10)
    }
    return instance
}

extension Pipeline {
    /// The user topics the pipeline's branches read (their sources and what they merge in),
    /// sorted, each once: what must exist before an instance starts.
    @_spi(Testing) public var inputTopics: [String] {
        Array(Set(branches.flatMap(\.externalInputs))).sorted()
    }
}

import Sluice
import SluiceTesting
import Testing

@Suite("Driver errors")
struct DriverErrorTests {
    @Test func aBranchFeedingItsOwnInputIsStoppedWithAClearError() throws {
        let loop = Topic<String, String>("loop")
        let pipeline = Pipeline("echo") {
            Branch(group: "echo", from: loop) { $0.to(loop) }
        }
        var options = PipelineTestDriver.Options()
        options.maxRounds = 50
        let driver = try PipelineTestDriver(pipeline, options: options)
        try driver.pipe(loop, key: "k", value: "again")
        #expect {
            try driver.process()
        } throws: { error in
            "\(error)".contains("still consuming after 50 rounds") && "\(error)".contains("echo")
        }
    }

    @Test func misnamedBranchesStoresAndInstancesAreReported() throws {
        let driver = try PipelineTestDriver(Pipelines.stats(), partitions: 2)
        try driver.pipe(Reference.sales(20, seed: 41))
        try driver.process()
        #expect { try driver.store("totals", branch: "stat", as: [Windowed<String>: Totals].self) } throws: { "\($0)".contains("its branches are stats") }
        #expect { try driver.store("total", branch: "stats", as: [Windowed<String>: Totals].self) } throws: { "\($0)".contains("its stores are totals") }
        #expect { try driver.store("totals", branch: "stats", partition: 7, as: [Windowed<String>: Totals].self) } throws: {
            "\($0)".contains("no instance runs the task of partition 7")
        }
        #expect { try driver.removeInstance(at: 3) } throws: { "\($0)".contains("there is no instance 3") }
        #expect { try driver.records(Topic<String, String>("nowhere")) } throws: { "\($0)".contains("'nowhere' does not exist") }
        try driver.close()
        #expect { try driver.process() } throws: { "\($0)".contains("closed") }
    }
}

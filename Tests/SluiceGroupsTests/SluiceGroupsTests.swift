import Testing

@testable import SluiceGroups

@Suite("SluiceGroups module")
struct SluiceGroupsModuleTests {
    @Test func protocolTypeIsKafkas() {
        #expect(SluiceGroups.consumerProtocolType == "consumer")
    }
}

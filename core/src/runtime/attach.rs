//! The runtime joins the composition: when the input uses the async ABI,
//! its three modules become core instances of the graph, after the
//! input's own, and are fused like them. Their imports between each other
//! are instances of one another; their `tables` imports are functions meld
//! generates over its handle tables ([`RuntimeFunc`]).

use super::{SCHEDULER, TASKS, WAITABLES};
use crate::decode::{Decoded, StaticModule, StaticModuleIndex};
use crate::graph::{
    CoreArg, CoreDef, CoreInstance, CoreInstanceId, Graph, InnerId, RuntimeFunc, RuntimeInstances,
};

/// Adds the runtime's modules to `decoded` and its instances to `graph`
/// (recorded in [`Graph::runtime`]) if the composition uses the async ABI.
pub(crate) fn attach<'a>(decoded: &mut Decoded<'a>, graph: &mut Graph) {
    if !graph.uses_async() || graph.runtime.is_some() {
        return;
    }
    let tables = || {
        CoreArg::Items(
            RuntimeFunc::ALL
                .iter()
                .map(|f| (f.field().to_string(), CoreDef::Runtime(*f)))
                .collect(),
        )
    };
    let mut instantiate = |bytes: &'a [u8], name: &str, args: Vec<(String, CoreArg)>| {
        let module = StaticModuleIndex(decoded.modules.len());
        decoded.modules.push(StaticModule { bytes, offset: 0 });
        graph.instances.push(CoreInstance {
            module,
            component: InnerId(0),
            args,
            name: format!("meld runtime {name}"),
        });
        CoreInstanceId(graph.instances.len() - 1)
    };
    let scheduler = instantiate(SCHEDULER, "scheduler", Vec::new());
    let waitables = instantiate(
        WAITABLES,
        "waitables",
        vec![
            ("tables".to_string(), tables()),
            ("scheduler".to_string(), CoreArg::Instance(scheduler)),
        ],
    );
    let tasks = instantiate(
        TASKS,
        "tasks",
        vec![
            ("scheduler".to_string(), CoreArg::Instance(scheduler)),
            ("w".to_string(), CoreArg::Instance(waitables)),
            ("tables".to_string(), tables()),
        ],
    );
    graph.runtime = Some(RuntimeInstances {
        scheduler,
        waitables,
        tasks,
    });
}

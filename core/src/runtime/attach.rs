//! The runtime joins the composition: when the input uses the async ABI,
//! its three modules become core instances of the graph, after the
//! input's own, and are fused like them. Their imports between each other
//! are instances of one another; their `tables` imports are functions meld
//! generates over its handle tables ([`RuntimeFunc`]).

use super::{SCHEDULER, TASKS, WAITABLES};
use crate::decode::{Decoded, StaticModule, StaticModuleIndex};
use crate::error::Result;
use crate::graph::{
    CoreArg, CoreDef, CoreInstance, CoreInstanceId, Graph, InnerId, RuntimeFunc, RuntimeInstances,
};

/// Adds the runtime's modules to `decoded` and its instances to `graph`
/// (recorded in [`Graph::runtime`]) if the composition uses the async ABI
/// or passes streams, futures or error contexts (which move between the
/// components' handle tables as the runtime moves them, even when no
/// component uses their built-ins).
pub(crate) fn attach<'a>(decoded: &mut Decoded<'a>, graph: &mut Graph) -> Result<()> {
    if graph.runtime.is_some() || !(graph.uses_async() || passes_ends(decoded, graph)?) {
        return Ok(());
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
    Ok(())
}

/// Whether a function the components lift or lower passes a stream or
/// future end or an error context.
fn passes_ends(decoded: &Decoded<'_>, graph: &Graph) -> Result<bool> {
    let types = decoded.types()?;
    let lifted = graph.lifted.iter().map(|l| Some(l.ty));
    let lowered = graph.lowerings.iter().map(|l| l.ty);
    Ok(lifted
        .chain(lowered)
        .flatten()
        .any(|ty| crate::abi::func_holds_ends(types, ty)))
}
